"""The directory page: a page of users for the view's filters, with the groups and custom
fields the filters offer."""

import asyncio
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from services.admin.domain.filters import DirectoryQuery
from services.admin.usecases.common import Caller


@dataclass(frozen=True)
class DirectoryPage:
    users: list[dict[str, Any]]
    next_cursor: str | None
    total: int
    total_is_exact: bool
    groups: list[dict[str, Any]]
    fields: list[dict[str, Any]]


async def browse_directory(caller: Caller, query: DirectoryQuery, zone: ZoneInfo) -> DirectoryPage:
    users, groups, fields = await asyncio.gather(
        caller.get("/api/v1/users", query.api_params(zone)),
        caller.get("/api/v1/groups"),
        caller.get("/api/v1/custom-fields"),
    )
    return DirectoryPage(
        users=users["items"],
        next_cursor=users.get("next_cursor"),
        total=int(users.get("total", 0)),
        total_is_exact=bool(users.get("total_is_exact", True)),
        groups=groups,
        fields=fields,
    )


async def directory_choices(caller: Caller) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The groups and custom fields (for the invite form and the profile editor)."""
    groups, fields = await asyncio.gather(
        caller.get("/api/v1/groups"), caller.get("/api/v1/custom-fields")
    )
    return groups, fields
