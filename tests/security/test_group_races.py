"""Deleting a group while someone puts a user in it, invites a user into it or moves a user
to it (issue 9.5): each loser is told 404/409/422, never a 500, and nobody is left in the
deleted group."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.support.directory import Lms

ROUNDS = 12
Joiner = Callable[[Lms, dict[str, Any], dict[str, Any]], Awaitable[httpx.Response]]


async def put_member(lms: Lms, group: dict[str, Any], user: dict[str, Any]) -> httpx.Response:
    return await lms.admin.put(f"/api/v1/groups/{group['id']}/members/{user['id']}")


async def invite_into(lms: Lms, group: dict[str, Any], _: dict[str, Any]) -> httpx.Response:
    body = {"email": f"r-{group['id'][:8]}@example.com", "first_name": "R", "last_name": "S",
            "group_ids": [group["id"]]}  # fmt: skip
    return await lms.admin.post("/api/v1/users/invitations", json=body)


async def move_into(lms: Lms, group: dict[str, Any], user: dict[str, Any]) -> httpx.Response:
    version = await lms.version(user["id"])
    return await lms.admin.patch(
        f"/api/v1/users/{user['id']}",
        json={"group_ids": [group["id"]]},
        headers={"If-Match": f'"{version}"'},
    )


async def race(lms: Lms, join: Joiner) -> list[int]:
    statuses = []
    for round_ in range(ROUNDS):
        created = await lms.admin.post("/api/v1/groups", json={"name": f"G{round_}"})
        group = created.json()
        user = await lms.invite()
        deleted, joined = await asyncio.gather(
            lms.admin.delete(f"/api/v1/groups/{group['id']}"), join(lms, group, user)
        )
        assert deleted.status_code == 204, deleted.text
        assert joined.status_code in (200, 201, 204, 404, 409, 422), joined.text
        if joined.status_code >= 400:
            assert joined.headers["content-type"].startswith("application/problem+json")
        statuses.append(joined.status_code)
        listed = await lms.admin.get("/api/v1/users", params={"limit": 200})
        assert all(group["name"] not in str(u.get("groups")) for u in listed.json()["items"])
    return statuses


async def test_deleting_a_group_while_a_member_is_added(lms: Lms) -> None:
    await race(lms, put_member)


async def test_deleting_a_group_while_a_user_is_invited_into_it(lms: Lms) -> None:
    await race(lms, invite_into)


async def test_deleting_a_group_while_a_user_is_moved_into_it(lms: Lms) -> None:
    await race(lms, move_into)
