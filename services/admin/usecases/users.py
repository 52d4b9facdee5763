"""One user: the profile, its activity, and the changes an admin makes (each one API call,
so the console can never do what the API refuses)."""

import asyncio
from dataclasses import dataclass
from typing import Any

from services.admin.usecases.common import Caller


@dataclass(frozen=True)
class ProfilePage:
    user: dict[str, Any]
    activities: list[dict[str, Any]]
    next_activities: str | None
    groups: list[dict[str, Any]]
    fields: list[dict[str, Any]]


ACTIVITY_PAGE = 10


async def show_profile(caller: Caller, user_id: str, activity_cursor: str | None) -> ProfilePage:
    params = [("limit", str(ACTIVITY_PAGE))]
    if activity_cursor:
        params.append(("cursor", activity_cursor))
    user, activities, groups, fields = await asyncio.gather(
        caller.get(f"/api/v1/users/{user_id}"),
        caller.get(f"/api/v1/users/{user_id}/activities", params),
        caller.get("/api/v1/groups"),
        caller.get("/api/v1/custom-fields"),
    )
    return ProfilePage(user, activities["items"], activities.get("next_cursor"), groups, fields)


async def show_user(caller: Caller, user_id: str) -> dict[str, Any]:
    user: dict[str, Any] = await caller.get(f"/api/v1/users/{user_id}")
    return user


async def invite_user(caller: Caller, invitation: dict[str, Any]) -> dict[str, Any]:
    answer = await caller.send("POST", "/api/v1/users/invitations", invitation)
    user: dict[str, Any] = answer.body
    return user


async def edit_user(
    caller: Caller, user_id: str, version: str, changes: dict[str, Any]
) -> dict[str, Any]:
    answer = await caller.send(
        "PATCH", f"/api/v1/users/{user_id}", changes, headers={"If-Match": f'"{version}"'}
    )
    user: dict[str, Any] = answer.body
    return user


async def deactivate_user(caller: Caller, user_id: str, reason: str | None) -> dict[str, Any]:
    body = {"reason": reason} if reason else None
    user: dict[str, Any] = (
        await caller.send("POST", f"/api/v1/users/{user_id}/deactivate", body)
    ).body
    return user


async def reactivate_user(caller: Caller, user_id: str) -> dict[str, Any]:
    user: dict[str, Any] = (await caller.send("POST", f"/api/v1/users/{user_id}/reactivate")).body
    return user


async def resend_invitation(caller: Caller, user_id: str) -> dict[str, Any]:
    answer = await caller.send("POST", f"/api/v1/users/{user_id}/invitation/resend")
    user: dict[str, Any] = answer.body
    return user


async def send_password_reset(caller: Caller, user_id: str) -> None:
    """The directory asks the invitations service to mail the user a reset link."""
    await caller.send("POST", f"/api/v1/users/{user_id}/password-reset")
