"""Imports (upload, preview, apply, progress, files) and bulk actions (preview, start,
progress, cancel, results): each one or a few calls to the directory's APIs."""

import asyncio
from typing import Any
from urllib.parse import urlencode

from services.admin.domain.bulk import BulkChoice
from services.admin.usecases.common import Caller

ROWS_PAGE = 100


async def list_imports(caller: Caller) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await caller.get("/api/v1/imports")
    return found


async def upload_import(
    caller: Caller, name: str, content: bytes, media_type: str, create_groups: bool
) -> dict[str, Any]:
    answer = await caller.api.upload(
        "/api/v1/imports",
        caller.token,
        (name, content, media_type),
        {"create_groups": "true" if create_groups else "false"},
    )
    record: dict[str, Any] = answer.body
    return record


async def show_import(
    caller: Caller, import_id: str, plan: str | None, after: int, limit: int = ROWS_PAGE
) -> dict[str, Any]:
    params = [("limit", str(limit)), ("after", str(after))]
    if plan:
        params.append(("plan", plan))
    record: dict[str, Any] = await caller.get(f"/api/v1/imports/{import_id}", params)
    return record


async def apply_import(
    caller: Caller, import_id: str, send_invitations: bool, update_existing: bool
) -> dict[str, Any]:
    body = {"send_invitations": send_invitations, "update_existing": update_existing}
    answer = await caller.send("POST", f"/api/v1/imports/{import_id}/apply", body)
    job: dict[str, Any] = answer.body
    return job


async def cancel_import(caller: Caller, import_id: str) -> None:
    await caller.send("POST", f"/api/v1/imports/{import_id}/cancel")


async def download(caller: Caller, path: str, **query: str) -> tuple[bytes, str, str]:
    """A file of the API: its bytes, media type and the name the API gives it."""
    url = f"{path}?{urlencode(query)}" if query else path
    response = await caller.api.download(url, caller.token)
    disposition = response.headers.get("content-disposition", "")
    media_type = response.headers.get("content-type", "application/octet-stream")
    return response.content, media_type, disposition


async def bulk_choices(caller: Caller) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The groups and custom fields an action can name."""
    groups, fields = await asyncio.gather(
        caller.get("/api/v1/groups"), caller.get("/api/v1/custom-fields")
    )
    return groups, fields


async def preview_bulk(
    caller: Caller, choice: BulkChoice, filters: dict[str, Any]
) -> dict[str, Any]:
    answer = await caller.send("POST", "/api/v1/users/bulk", choice.api_body(filters, False))
    preview: dict[str, Any] = answer.body
    return preview


async def start_bulk(caller: Caller, choice: BulkChoice, filters: dict[str, Any]) -> dict[str, Any]:
    answer = await caller.send("POST", "/api/v1/users/bulk", choice.api_body(filters, True))
    job: dict[str, Any] = answer.body
    return job


async def list_bulk_jobs(
    caller: Caller, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the tenant's bulk jobs (newest first) and the cursor of the next one."""
    params = {"cursor": cursor} if cursor else None
    found: dict[str, Any] = await caller.get("/api/v1/users/bulk", params)
    next_cursor = found.get("next_cursor")
    return list(found.get("items") or []), next_cursor if isinstance(next_cursor, str) else None


async def show_bulk_job(caller: Caller, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = await caller.get(f"/api/v1/users/bulk/{job_id}")
    return job


async def cancel_bulk_job(caller: Caller, job_id: str) -> dict[str, Any]:
    answer = await caller.send("POST", f"/api/v1/users/bulk/{job_id}/cancel")
    job: dict[str, Any] = answer.body
    return job
