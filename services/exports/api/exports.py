"""/api/v1/exports: an admin's export jobs and their files."""

import uuid
from urllib.parse import quote

from fastapi import Header, status
from fastapi.responses import StreamingResponse

from services.exports.api.dependencies import Admin, Settings, Storage
from services.exports.api.schemas import ExportIn, ExportList, ExportOut
from services.exports.domain.filters import read_sort
from services.exports.domain.jobs import MEDIA_TYPES, ExportRequest
from services.exports.usecases.request_export import request_export
from services.exports.usecases.show_exports import open_export_file, recent_exports, show_export
from shared.http.authentication import ServiceRouter
from shared.http.dependencies import UoW

router = ServiceRouter(prefix="/api/v1/exports", tags=["exports"])


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Export the users the filters select, as CSV or Excel (built in the background)",
)
async def start_export(body: ExportIn, admin: Admin, uow: UoW) -> ExportOut:
    request = ExportRequest(
        tenant_id=admin.tenant_id,
        requested_by=admin.user_id,
        format=body.format,
        filters=body.filters,
        sort=read_sort(body.sort),
        delimiter=body.delimiter,
        language=body.language,
    )
    return ExportOut.of(await request_export(uow, request))


@router.get("", summary="The admin's recent exports, newest first")
async def list_exports(admin: Admin, uow: UoW, settings: Settings) -> ExportList:
    jobs = await recent_exports(uow, admin, settings.export_recent_jobs)
    return ExportList(items=[ExportOut.of(job) for job in jobs])


@router.get("/{export_id}", summary="One export: its state and progress")
async def get_export(export_id: uuid.UUID, admin: Admin, uow: UoW) -> ExportOut:
    return ExportOut.of(await show_export(uow, admin, export_id))


@router.get(
    "/{export_id}/file",
    summary="The export's file (streamed; one byte range if asked: Range: bytes=…)",
    response_class=StreamingResponse,
)
async def download(
    export_id: uuid.UUID,
    admin: Admin,
    uow: UoW,
    storage: Storage,
    range_header: str | None = Header(default=None, alias="Range"),
) -> StreamingResponse:
    found = await open_export_file(uow, admin, export_id, storage, range_header)
    job = found.job
    headers = {
        "Content-Disposition": f'attachment; filename="{job.file_name}"; '
        f"filename*=UTF-8''{quote(job.file_name)}",
        "Content-Length": str(found.end - found.start + 1),
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
    }
    if found.partial:
        headers["Content-Range"] = f"bytes {found.start}-{found.end}/{found.file.size}"
    return StreamingResponse(
        found.file.chunks,
        status_code=status.HTTP_206_PARTIAL_CONTENT if found.partial else status.HTTP_200_OK,
        media_type=MEDIA_TYPES[job.format],
        headers=headers,
    )
