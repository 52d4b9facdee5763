"""/api/v1/users: the directory list, profiles, invitations, edits, (de)activation."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Header, Query, Response, status
from pydantic_core import to_json

from services.directory.api.cursors import (
    activity_cursor,
    activity_position,
    user_cursor,
    user_position,
)
from services.directory.api.dependencies import (
    CanDeactivateUsers,
    CanInviteUsers,
    CanReadUsers,
    CanWriteUsers,
    Settings,
    UoW,
)
from services.directory.api.schemas import (
    Accepted,
    ActivityPage,
    DeactivationIn,
    UserListQuery,
    UserPatch,
    UserProfile,
    UserSummary,
    activity_out,
    listed_groups,
    summary_fields,
    user_profile,
)
from services.directory.domain.custom_fields import stored_keys
from services.directory.usecases.deactivate_user import deactivate_user
from services.directory.usecases.get_profile import Profile, get_profile
from services.directory.usecases.invite_user import NewInvitation, invite_user
from services.directory.usecases.list_activities import list_activities
from services.directory.usecases.list_users import list_users
from services.directory.usecases.password_reset import send_reset
from services.directory.usecases.reactivate_user import reactivate_user
from services.directory.usecases.resend_invitation import resend_invitation
from services.directory.usecases.update_user import update_user
from shared.errors import Invalid, VersionRequired
from shared.http.authentication import ServiceRouter
from shared.schemas import InvitationIn, Page

# ASCII digits only: "²" and "٣" are digits to str.isdigit, not to int(). Past 100 digits
# it is no version anyone read (and int() refuses 4,300).
VERSION_TAG = re.compile(r"[0-9]{1,100}")

router = ServiceRouter(prefix="/api/v1/users", tags=["users"])


@router.get(
    "",
    summary="List users, filtered and sorted, a page at a time",
    response_model=Page[UserSummary],
)
async def list_users_page(
    query: Annotated[UserListQuery, Query()],
    actor: CanReadUsers,
    uow: UoW,
    settings: Settings,
) -> Response:
    """Custom fields filter as `field.<key>=<value>`. Date ranges include `*_from` and
    exclude `*_to`."""
    page = await list_users(
        uow,
        actor,
        query,
        query.sort,
        user_position(query.sort, query.cursor),
        query.limit,
        settings.list_exact_total_limit,
    )
    now = datetime.now(UTC)
    field_keys = stored_keys(page.fields)
    # Written straight to JSON: the rows are shaped as `UserSummary` by `summary_fields`
    # (tests/directory/test_user_list.py checks the page against the model); validating
    # 50 of them again would cost more than the page's SQL.
    page_json = to_json(
        {
            "items": [summary_fields(u, listed_groups(u), field_keys, now) for u in page.users],
            "next_cursor": user_cursor(query.sort, page.next_position),
            "total": page.total,
            "total_is_exact": page.total_is_exact,
        }
    )
    return Response(page_json, media_type="application/json")


@router.post(
    "/invitations",
    status_code=status.HTTP_201_CREATED,
    summary="Invite a user: the account exists at once, status invited",
)
async def invite(
    body: InvitationIn, actor: CanInviteUsers, uow: UoW, response: Response, settings: Settings
) -> UserProfile:
    new = NewInvitation(**body.model_dump())
    profile = await invite_user(uow, actor, new, smtputf8=settings.email_smtputf8)
    response.headers["Location"] = f"/api/v1/users/{profile.user.id}"
    return _profile(profile, response)


@router.get("/{user_id}", summary="A user's profile")
async def get_user(
    user_id: uuid.UUID, actor: CanReadUsers, uow: UoW, response: Response
) -> UserProfile:
    return _profile(await get_profile(uow, actor, user_id), response)


@router.get("/{user_id}/activities", summary="A user's activity, newest first")
async def get_activities(
    user_id: uuid.UUID,
    actor: CanReadUsers,
    uow: UoW,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> ActivityPage:
    rows = await list_activities(uow, actor, user_id, limit + 1, activity_position(cursor))
    items, more = rows[:limit], len(rows) > limit
    last = items[-1] if items and more else None
    return ActivityPage(
        items=[activity_out(a) for a in items],
        next_cursor=activity_cursor(last.occurred_at, last.id) if last else None,
    )


@router.patch("/{user_id}", summary="Change a user (optimistic concurrency: If-Match)")
async def patch_user(
    user_id: uuid.UUID,
    body: UserPatch,
    actor: CanWriteUsers,
    uow: UoW,
    response: Response,
    settings: Settings,
    if_match: Annotated[str | None, Header()] = None,
) -> UserProfile:
    version = _expected_version(if_match, body.version)
    changes = body.changes()
    profile = await update_user(
        uow, actor, user_id, version, changes, smtputf8=settings.email_smtputf8
    )
    return _profile(profile, response)


def _expected_version(if_match: str | None, body_version: int | None) -> int:
    if if_match:
        tag = if_match.strip().removeprefix("W/").strip('"')
        if not VERSION_TAG.fullmatch(tag):
            raise Invalid('If-Match must be the version the user had, e.g. "3".')
        return int(tag)
    if body_version is None:
        raise VersionRequired(
            "Send the version you read (If-Match header or `version`), so that nobody's "
            "change is silently overwritten."
        )
    return body_version


@router.post("/{user_id}/deactivate", summary="Deactivate: no more login; nothing deleted")
async def deactivate(
    user_id: uuid.UUID,
    actor: CanDeactivateUsers,
    uow: UoW,
    response: Response,
    body: DeactivationIn | None = None,
) -> UserProfile:
    reason = body.reason if body else None
    return _profile(await deactivate_user(uow, actor, user_id, reason), response)


@router.post("/{user_id}/reactivate", summary="Reactivate a deactivated user")
async def reactivate(
    user_id: uuid.UUID, actor: CanDeactivateUsers, uow: UoW, response: Response
) -> UserProfile:
    return _profile(await reactivate_user(uow, actor, user_id), response)


@router.post(
    "/{user_id}/invitation/resend",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send the invitation again (invited users only)",
)
async def resend(
    user_id: uuid.UUID,
    actor: CanInviteUsers,
    uow: UoW,
    settings: Settings,
    response: Response,
) -> UserProfile:
    interval = timedelta(seconds=settings.invitation_resend_interval_seconds)
    return _profile(await resend_invitation(uow, actor, user_id, interval), response)


@router.post(
    "/{user_id}/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Mail the user a link to choose a new password (active users only)",
)
async def send_password_reset(user_id: uuid.UUID, actor: CanWriteUsers, uow: UoW) -> Accepted:
    user = await send_reset(uow, actor, user_id)
    return Accepted(detail=f"A link to choose a new password is on its way to {user.email}.")


def _profile(profile: Profile, response: Response) -> UserProfile:
    response.headers["ETag"] = f'"{profile.user.version}"'
    return user_profile(profile, datetime.now(UTC))
