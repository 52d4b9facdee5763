"""/api/v1/imports: upload a file (a preview comes back), read the preview, confirm it
(a job), download the template and each row's result."""

import csv
import io
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import File, Form, Query, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from services.directory.api.dependencies import (
    CanActInBulk,
    Settings,
    UoW,
    separate_unit_of_work,
)
from services.directory.api.job_schemas import ApplyIn, ImportOut, JobOut, import_out, job_out
from services.directory.domain.import_rows import RowPlan
from services.directory.domain.jobs import ImportRowView, JobKind
from services.directory.usecases.imports.apply_import import ApplyOptions, apply_import
from services.directory.usecases.imports.preview_import import ImportLimits, Upload, preview_import
from services.directory.usecases.imports.template import template_file
from services.directory.usecases.jobs.read_jobs import (
    cancel_job,
    get_import,
    import_rows,
    import_rows_page,
    list_imports,
)
from shared.errors import Conflict, TooLarge
from shared.http.authentication import ServiceRouter
from shared.security.access_tokens import Principal

router = ServiceRouter(prefix="/api/v1/imports", tags=["imports"])
RESULT_HEADERS = ["row", "email", "preview", "changes", "problem", "outcome", "detail", "user_id"]


@router.get("/template", summary="The file to fill in (CSV, headers in French or English)")
async def template(actor: CanActInBulk, uow: UoW, locale: Literal["fr", "en"] = "fr") -> Response:
    return Response(
        await template_file(uow, actor, locale),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="users-template-{locale}.csv"'},
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Upload a file: the dry run")
async def upload(
    file: Annotated[UploadFile, File(description="CSV (UTF-8, `,` or `;`) or XLSX")],
    actor: CanActInBulk,
    uow: UoW,
    settings: Settings,
    response: Response,
    create_groups: Annotated[bool, Form()] = False,
) -> ImportOut:
    content = await file.read(settings.import_max_bytes + 1)
    if len(content) > settings.import_max_bytes:
        raise TooLarge(f"The file is larger than {settings.import_max_bytes // 1_000_000} MB.")
    limits = ImportLimits(
        settings.import_max_rows,
        settings.import_max_bytes,
        settings.job_keep_for,
        smtputf8=settings.email_smtputf8,
    )
    name = file.filename or "upload"
    record = await preview_import(uow, actor, Upload(name, content, create_groups), limits)
    response.headers["Location"] = f"/api/v1/imports/{record.id}"
    rows = await import_rows_page(uow, actor, record.id, 0, 50, None)
    return import_out(record, None, rows, 50)


@router.get("", summary="The tenant's recent imports, each with its apply's job if confirmed")
async def imports(actor: CanActInBulk, uow: UoW) -> list[ImportOut]:
    return [import_out(r, job, [], 1) for r, job in await list_imports(uow, actor, 50)]


@router.get("/{import_id}", summary="The preview, a page of rows, and the apply's progress")
async def show(
    import_id: uuid.UUID,
    actor: CanActInBulk,
    uow: UoW,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    plan: RowPlan | None = None,
) -> ImportOut:
    record, job = await get_import(uow, actor, import_id)
    rows = await import_rows_page(uow, actor, import_id, after, limit, plan)
    return import_out(record, job, rows, limit)


@router.post(
    "/{import_id}/apply",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Confirm: apply the import as a job (confirming again finds the same job)",
)
async def apply(
    import_id: uuid.UUID,
    actor: CanActInBulk,
    uow: UoW,
    settings: Settings,
    response: Response,
    body: ApplyIn | None = None,
) -> JobOut:
    options = ApplyOptions(**(body or ApplyIn()).model_dump())
    job, started = await apply_import(uow, actor, import_id, options, settings.job_keep_for)
    if not started:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/imports/{import_id}"
    return job_out(job)


@router.post("/{import_id}/cancel", summary="Stop applying (rows done stay done)")
async def cancel(import_id: uuid.UUID, actor: CanActInBulk, uow: UoW) -> JobOut:
    _, job = await get_import(uow, actor, import_id)
    if job is None:
        raise Conflict("This import was not applied: there is nothing to cancel.")
    return job_out(await cancel_job(uow, actor, job.id, JobKind.IMPORT))


@router.get("/{import_id}/results.csv", summary="Each row's outcome, as CSV")
async def results(
    import_id: uuid.UUID, actor: CanActInBulk, uow: UoW, request: Request
) -> StreamingResponse:
    await get_import(uow, actor, import_id)
    return StreamingResponse(
        _csv(request, actor, import_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}.csv"'},
    )


async def _csv(request: Request, actor: Principal, import_id: uuid.UUID) -> AsyncIterator[bytes]:
    """Streamed after the route's own transaction ended: read in one of its own."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RESULT_HEADERS)
    async with separate_unit_of_work(request) as uow:
        async for row in import_rows(uow, actor, import_id):
            writer.writerow(_result_cells(row))
            if out.tell() > 64_000:
                yield out.getvalue().encode()
                out.seek(0)
                out.truncate()
    yield out.getvalue().encode()


def _result_cells(row: ImportRowView) -> list[object]:
    return [
        row.row_number,
        _safe(row.email),
        row.plan.value,
        " | ".join(row.changes),
        _safe(row.message or ""),
        row.outcome.value if row.outcome else "not applied",
        _safe(row.outcome_message or ""),
        row.user_id or "",
    ]


def _safe(text: str) -> str:
    """A cell a spreadsheet would run as a formula is written as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") else text
