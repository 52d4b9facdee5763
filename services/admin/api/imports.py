"""Users > Import: upload a CSV or XLSX file, read the preview row by row (what would be
created, updated, refused and why), apply it with or without invitations, follow the job,
download the template and each row's result."""

import re
import uuid
from contextlib import suppress
from typing import Annotated, Literal

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import Response

from services.admin.adapters.api_client import ApiProblem
from services.admin.api.context import AdminCaller, go_to, render, targets
from services.admin.domain.bulk import PLANS
from services.admin.domain.refusals import Refusal, refusal_of
from services.admin.usecases import bulk_jobs as use
from shared.http.authentication import ServiceRouter

router = ServiceRouter(include_in_schema=False)

_FILENAME = re.compile(r'filename="?([^";]+)"?')
Plan = Literal["create", "update", "unchanged", "error"]


def _refusal(problem: ApiProblem) -> Refusal:
    return refusal_of(problem.status, problem.detail, problem.errors, problem.retry_after)


def _file(content: bytes, media_type: str, disposition: str, default: str) -> Response:
    found = _FILENAME.search(disposition)
    name = found.group(1) if found else default
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/imports")
async def imports_page(request: Request, caller: AdminCaller) -> Response:
    imports = await use.list_imports(caller)
    template = "partials/import_list.html" if targets(request, "import-list") else "imports.html"
    return render(request, template, imports=imports, refusal=Refusal())


@router.post("/imports")
async def upload(
    request: Request,
    caller: AdminCaller,
    file: Annotated[UploadFile, File()],
    create_groups: Annotated[bool, Form()] = False,
) -> Response:
    content = await file.read()
    media_type = file.content_type or "application/octet-stream"
    try:
        record = await use.upload_import(
            caller, file.filename or "upload.csv", content, media_type, create_groups
        )
    except ApiProblem as problem:
        imports = await use.list_imports(caller)
        status = problem.status if problem.status in (400, 413, 422) else 422
        return render(request, "imports.html", status, imports=imports, refusal=_refusal(problem))
    return go_to(request, f"/imports/{record['id']}")


@router.get("/imports/template")
async def template(caller: AdminCaller, locale: Literal["fr", "en"] = "fr") -> Response:
    content, media_type, disposition = await use.download(
        caller, "/api/v1/imports/template", locale=locale
    )
    return _file(content, media_type, disposition, f"users-template-{locale}.csv")


@router.get("/imports/{import_id}")
async def import_page(
    request: Request,
    import_id: uuid.UUID,
    caller: AdminCaller,
    plan: Plan | None = None,
    after: int = 0,
) -> Response:
    polled = targets(request, "import-job")  # the job's progress only: one row is enough
    record = await use.show_import(
        caller, str(import_id), plan, max(after, 0), 1 if polled else 100
    )
    template = "partials/import_job.html" if polled else "import.html"
    return render(
        request, template, record=record, job=record.get("job"), plan=plan, after=after, PLANS=PLANS
    )


@router.post("/imports/{import_id}/apply")
async def apply(
    request: Request,
    import_id: uuid.UUID,
    caller: AdminCaller,
    send_invitations: Annotated[bool, Form()] = False,
    update_existing: Annotated[bool, Form()] = False,
) -> Response:
    try:
        await use.apply_import(caller, str(import_id), send_invitations, update_existing)
    except ApiProblem as problem:
        record = await use.show_import(caller, str(import_id), None, 0)
        return render(
            request,
            "import.html",
            409,
            record=record,
            job=record.get("job"),
            plan=None,
            after=0,
            PLANS=PLANS,
            refusal=_refusal(problem),
        )
    return go_to(request, f"/imports/{import_id}")


@router.post("/imports/{import_id}/cancel")
async def cancel(request: Request, import_id: uuid.UUID, caller: AdminCaller) -> Response:
    with suppress(ApiProblem):  # it ended meanwhile: the page shows how
        await use.cancel_import(caller, str(import_id))
    return go_to(request, f"/imports/{import_id}")


@router.get("/imports/{import_id}/results.csv")
async def results(import_id: uuid.UUID, caller: AdminCaller) -> Response:
    content, media_type, disposition = await use.download(
        caller, f"/api/v1/imports/{import_id}/results.csv"
    )
    return _file(content, media_type, disposition, f"import-{import_id}.csv")
