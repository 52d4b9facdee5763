"""Exports, API keys, hooks and suppressions: services that may not be deployed; each call
raises ServiceUnavailable when the service is absent, and the page says so."""

from typing import Any
from urllib.parse import quote

from services.admin.usecases.common import Caller


async def list_exports(caller: Caller) -> list[dict[str, Any]]:
    found = await caller.get("/api/v1/exports", absent_on_404=True)
    return _items(found)


async def start_export(caller: Caller, file_format: str, filters: dict[str, Any]) -> dict[str, Any]:
    answer = await caller.send(
        "POST", "/api/v1/exports", {"format": file_format, "filters": filters}, absent_on_404=True
    )
    job: dict[str, Any] = answer.body
    return job


async def show_export(caller: Caller, export_id: str) -> dict[str, Any]:
    job: dict[str, Any] = await caller.get(f"/api/v1/exports/{export_id}")
    return job


async def list_api_keys(caller: Caller) -> list[dict[str, Any]]:
    return _items(await caller.get("/api/v1/api-keys", absent_on_404=True))


async def create_api_key(caller: Caller, name: str) -> dict[str, Any]:
    answer = await caller.send("POST", "/api/v1/api-keys", {"name": name}, absent_on_404=True)
    key: dict[str, Any] = answer.body
    return key


async def revoke_api_key(caller: Caller, key_id: str) -> None:
    await caller.send("DELETE", f"/api/v1/api-keys/{key_id}")


async def list_hooks(caller: Caller) -> list[dict[str, Any]]:
    return _items(await caller.get("/api/v1/hooks", absent_on_404=True))


async def enable_hook(caller: Caller, hook_id: str) -> None:
    await caller.send("POST", f"/api/v1/hooks/{hook_id}/enable")


async def list_suppressions(
    caller: Caller, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the suppression list (newest first) and the cursor of the next one."""
    params = {"cursor": cursor} if cursor else None
    found = await caller.get("/api/v1/suppressions", params, absent_on_404=True)
    next_cursor = found.get("next_cursor") if isinstance(found, dict) else None
    return _items(found), next_cursor if isinstance(next_cursor, str) else None


async def lift_suppression(caller: Caller, email: str) -> None:
    await caller.send("DELETE", f"/api/v1/suppressions/{quote(email, safe='@')}")


def _items(found: Any) -> list[dict[str, Any]]:
    """A list, or a page {"items": [...]}: the services being built may answer either."""
    if isinstance(found, dict):
        found = found.get("items", [])
    return [item for item in found or [] if isinstance(item, dict)]


async def download_export(caller: Caller, export_id: str) -> tuple[bytes, str, str]:
    """The file's bytes, its media type and the name the service gives it."""
    response = await caller.api.download(f"/api/v1/exports/{export_id}/file", caller.token)
    disposition = response.headers.get("content-disposition", "")
    media_type = response.headers.get("content-type", "application/octet-stream")
    return response.content, media_type, disposition
