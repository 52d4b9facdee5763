"""Exports, integrations (API keys, hooks) and suppressions. Their services may be absent
(being built, or down): the page then says the feature is not available, and nothing else
of the console breaks."""

import re
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Form, Query, Request
from fastapi.responses import Response

from services.admin.adapters.api_client import ApiProblem, ServiceUnavailable
from services.admin.api.context import AdminCaller, console, go_to, render, targets
from services.admin.domain.envelopes import suppression_view
from services.admin.domain.filters import DirectoryQuery
from services.admin.domain.refusals import Refusal, refusal_of
from services.admin.usecases import integrations as use
from services.admin.usecases.common import Caller
from shared.http.authentication import ServiceRouter

router = ServiceRouter(include_in_schema=False)

EXPORT_FORMATS = ("csv", "xlsx")
_FILENAME = re.compile(r'filename="?([^";]+)"?')


def _refusal(problem: ApiProblem) -> Refusal:
    return refusal_of(problem.status, problem.detail, problem.errors, problem.retry_after)


async def _exports_or_none(caller: Caller) -> list[dict[str, Any]] | None:
    try:
        return await use.list_exports(caller)
    except ServiceUnavailable:
        return None


@router.get("/exports")
async def exports_page(request: Request, caller: AdminCaller) -> Response:
    jobs = await _exports_or_none(caller)
    return render(request, "exports.html", jobs=jobs, refusal=Refusal(), started=None)


@router.post("/exports")
async def start_export(
    request: Request,
    caller: AdminCaller,
    format: Annotated[str, Form()] = "csv",
    filters: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    query = DirectoryQuery.from_pairs(_pairs(filters))
    chosen = format if format in EXPORT_FORMATS else "csv"
    try:
        job = await use.start_export(caller, chosen, query.export_filters(console(request).zone))
    except ServiceUnavailable:
        return render(request, "exports.html", 503, jobs=None, refusal=Refusal(), started=None)
    except ApiProblem as problem:
        jobs = await _exports_or_none(caller)
        return render(
            request, "exports.html", 422, jobs=jobs, refusal=_refusal(problem), started=None
        )
    return go_to(request, f"/exports?started={job['id']}")


def _pairs(query_string: str) -> list[tuple[str, str]]:
    return parse_qsl(query_string.lstrip("?"), keep_blank_values=False)


@router.get("/exports/{export_id}")
async def export_row(request: Request, export_id: str, caller: AdminCaller) -> Response:
    job = await use.show_export(caller, export_id)
    if targets(request, f"export-{export_id}"):
        return render(request, "partials/export_row.html", job=job)
    return go_to(request, "/exports")


@router.get("/exports/{export_id}/file")
async def download_export(export_id: str, caller: AdminCaller) -> Response:
    content, media_type, disposition = await use.download_export(caller, export_id)
    found = _FILENAME.search(disposition)
    name = found.group(1) if found else f"export-{export_id}"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _integrations(caller: Caller) -> dict[str, Any]:
    try:
        keys: list[dict[str, Any]] | None = await use.list_api_keys(caller)
    except ServiceUnavailable:
        keys = None
    try:
        hooks: list[dict[str, Any]] | None = await use.list_hooks(caller)
    except ServiceUnavailable:
        hooks = None
    return {"keys": keys, "hooks": hooks}


@router.get("/integrations")
async def integrations_page(request: Request, caller: AdminCaller) -> Response:
    found = await _integrations(caller)
    return render(request, "integrations.html", created=None, refusal=Refusal(), **found)


@router.post("/integrations/api-keys")
async def create_api_key(
    request: Request, caller: AdminCaller, name: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    created, refusal, status = None, Refusal(), 201
    try:
        created = await use.create_api_key(caller, name.strip())
    except ApiProblem as problem:
        refusal, status = _refusal(problem), 422
    except ServiceUnavailable:
        status = 503
    found = await _integrations(caller)
    # The key is in this one answer only (no-store): the API never shows it again.
    return render(request, "integrations.html", status, created=created, refusal=refusal, **found)


@router.post("/integrations/api-keys/{key_id}/revoke")
async def revoke_api_key(request: Request, key_id: str, caller: AdminCaller) -> Response:
    await use.revoke_api_key(caller, key_id)
    return go_to(request, "/integrations?done=revoked")


@router.post("/integrations/hooks/{hook_id}/enable")
async def enable_hook(request: Request, hook_id: str, caller: AdminCaller) -> Response:
    await use.enable_hook(caller, hook_id)
    return go_to(request, "/integrations?done=enabled")


@router.get("/suppressions")
async def suppressions_page(
    request: Request, caller: AdminCaller, cursor: Annotated[str, Query(max_length=2000)] = ""
) -> Response:
    try:
        found, next_cursor = await use.list_suppressions(caller, cursor or None)
    except ServiceUnavailable:
        return render(request, "suppressions.html", suppressions=None)
    rows = [suppression_view(item) for item in found]
    return render(
        request, "suppressions.html", suppressions=rows, cursor=cursor, next_cursor=next_cursor
    )


@router.post("/suppressions/lift")
async def lift_suppression(
    request: Request, caller: AdminCaller, email: Annotated[str, Form(max_length=320)] = ""
) -> Response:
    await use.lift_suppression(caller, email.strip())
    return go_to(request, "/suppressions?done=lifted")
