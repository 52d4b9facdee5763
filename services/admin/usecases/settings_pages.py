"""Groups and custom fields: what an admin defines for the whole tenant."""

from typing import Any

from services.admin.usecases.common import Caller


async def list_groups(caller: Caller) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = await caller.get("/api/v1/groups")
    return groups


async def create_group(caller: Caller, name: str) -> None:
    await caller.send("POST", "/api/v1/groups", {"name": name})


async def rename_group(caller: Caller, group_id: str, name: str) -> None:
    await caller.send("PATCH", f"/api/v1/groups/{group_id}", {"name": name})


async def delete_group(caller: Caller, group_id: str) -> None:
    await caller.send("DELETE", f"/api/v1/groups/{group_id}")


async def list_fields(caller: Caller) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = await caller.get("/api/v1/custom-fields")
    return fields


async def define_field(caller: Caller, definition: dict[str, Any]) -> None:
    await caller.send("POST", "/api/v1/custom-fields", definition)


async def move_field(caller: Caller, field_id: str, direction: int) -> None:
    """Swap the field with its neighbour: positions are rewritten 0, 10, 20 … so that
    every field has its own place even if several shared one."""
    fields = await list_fields(caller)
    ids = [f["id"] for f in fields]
    if field_id not in ids:
        return
    at = ids.index(field_id)
    other = at + direction
    if not 0 <= other < len(ids):
        return
    ids[at], ids[other] = ids[other], ids[at]
    current = {f["id"]: f["position"] for f in fields}
    for index, fid in enumerate(ids):
        if current[fid] != index * 10:
            await caller.send("PATCH", f"/api/v1/custom-fields/{fid}", {"position": index * 10})


async def delete_field(caller: Caller, field_id: str) -> None:
    await caller.send("DELETE", f"/api/v1/custom-fields/{field_id}")
