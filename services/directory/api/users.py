"""/api/v1/users: the directory list, profiles, invitations, edits, (de)activation."""

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from services.directory.api.cursors import (
    activity_cursor,
    activity_position,
    as_utc,
    user_cursor,
    user_position,
)
from services.directory.api.dependencies import (
    CanDeactivateUsers,
    CanInviteUsers,
    CanReadUsers,
    CanWriteUsers,
    DbSession,
    Settings,
)
from services.directory.api.user_schemas import (
    ActivityPage,
    DeactivationIn,
    InvitationIn,
    UserPatch,
    UserProfile,
    UserSummary,
    activity_out,
    summary_fields,
    user_profile,
)
from services.directory.domain.listing import InvitationFilter, UserFilter, UserSort, search_terms
from services.directory.usecases import invitations, lifecycle, queries
from services.directory.usecases.custom_values import filter_values_by_id
from services.directory.usecases.update_user import update_user
from shared.contracts.users import EmailState, UserStatus
from shared.errors import Invalid, VersionRequired
from shared.schemas import Page, contains_nul

router = APIRouter(prefix="/api/v1/users", tags=["users"])

FIELD_FILTER_PREFIX = "field."
LIST_PARAMETERS = {
    "group",
    "role",
    "status",
    "invitation",
    "email_status",
    "email",
    "q",
    "created_from",
    "created_to",
    "last_login_from",
    "last_login_to",
    "never_logged_in",
    "sort",
    "limit",
    "cursor",
}


def _utc(name: str, moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    try:
        return as_utc(moment)
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00 is before the first year
        raise Invalid(f"{name}: the date is out of range.") from None


@router.get("", summary="List users, filtered and sorted, a page at a time")
async def list_users(
    request: Request,
    actor: CanReadUsers,
    session: DbSession,
    settings: Settings,
    group: Annotated[list[uuid.UUID], Query(description="Member of any of these groups")] = [],  # noqa: B006
    role: Annotated[list[str], Query(description="Any of these roles")] = [],  # noqa: B006
    status_: Annotated[list[UserStatus], Query(alias="status")] = [],  # noqa: B006
    invitation: Annotated[list[InvitationFilter], Query()] = [],  # noqa: B006
    email_status: Annotated[list[EmailState], Query()] = [],  # noqa: B006
    email: Annotated[str | None, Query(max_length=320, description="E-mail contains")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Names or e-mail contain")] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    last_login_from: datetime | None = None,
    last_login_to: datetime | None = None,
    never_logged_in: bool | None = None,
    sort: UserSort = UserSort.NAME,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[UserSummary]:
    """Custom fields filter as `field.<key>=<value>`. Date ranges include `*_from` and
    exclude `*_to`."""
    field_filters = _field_filters(request)
    user_filter = UserFilter(
        group_ids=tuple(group),
        roles=tuple(role),
        statuses=tuple(status_),
        invitation_states=tuple(invitation),
        email_states=tuple(email_status),
        email_contains=email.strip() if email and email.strip() else None,
        search_terms=search_terms(q),
        custom_fields=await filter_values_by_id(session, actor.tenant_id, field_filters),
        created_from=_utc("created_from", created_from),
        created_to=_utc("created_to", created_to),
        last_login_from=_utc("last_login_from", last_login_from),
        last_login_to=_utc("last_login_to", last_login_to),
        never_logged_in=never_logged_in,
    )
    page = await queries.list_users(
        session,
        actor,
        user_filter,
        sort,
        user_position(sort, cursor),
        limit,
        settings.list_exact_total_limit,
    )
    return Page[UserSummary].model_validate(
        {
            "items": [
                summary_fields(u, page.groups.get(u.id, []), page.fields) for u in page.users
            ],
            "next_cursor": user_cursor(sort, page.next_position),
            "total": page.total,
            "total_is_exact": page.total_is_exact,
        }
    )


def _field_filters(request: Request) -> dict[str, str]:
    unknown = [
        key
        for key in request.query_params
        if key not in LIST_PARAMETERS and not key.startswith(FIELD_FILTER_PREFIX)
    ]
    if unknown:
        raise Invalid(f"Unknown query parameter(s): {', '.join(sorted(unknown))}.")
    if nul := sorted({k for k, v in request.query_params.multi_items() if contains_nul(v)}):
        raise Invalid(f"{', '.join(nul)}: text cannot contain NUL (%00) characters.")
    return {
        key.removeprefix(FIELD_FILTER_PREFIX): value
        for key, value in request.query_params.items()
        if key.startswith(FIELD_FILTER_PREFIX)
    }


@router.post(
    "/invitations",
    status_code=status.HTTP_201_CREATED,
    summary="Invite a user: the account exists at once, status invited",
)
async def invite_user(
    body: InvitationIn, actor: CanInviteUsers, session: DbSession, response: Response
) -> UserProfile:
    user = await invitations.invite_user(
        session, actor, invitations.NewInvitation(**body.model_dump())
    )
    response.headers["Location"] = f"/api/v1/users/{user.id}"
    return await _profile(session, actor, user.id, response)


@router.get("/{user_id}", summary="A user's profile")
async def get_user(
    user_id: uuid.UUID, actor: CanReadUsers, session: DbSession, response: Response
) -> UserProfile:
    return await _profile(session, actor, user_id, response)


@router.get("/{user_id}/activities", summary="A user's activity, newest first")
async def get_activities(
    user_id: uuid.UUID,
    actor: CanReadUsers,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> ActivityPage:
    rows = await queries.user_activities(
        session, actor, user_id, limit + 1, activity_position(cursor)
    )
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
    session: DbSession,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> UserProfile:
    version = _expected_version(if_match, body.version)
    await update_user(session, actor, user_id, version, body.changes())
    return await _profile(session, actor, user_id, response)


def _expected_version(if_match: str | None, body_version: int | None) -> int:
    if if_match:
        tag = if_match.strip().removeprefix("W/").strip('"')
        if not tag.isdigit():
            raise Invalid('If-Match must be the version the user had, e.g. "3".')
        return int(tag)
    if body_version is None:
        raise VersionRequired(
            "Send the version you read (If-Match header or `version`), so that nobody's "
            "change is silently overwritten."
        )
    return body_version


@router.post("/{user_id}/deactivate", summary="Deactivate: no more login; nothing deleted")
async def deactivate_user(
    user_id: uuid.UUID,
    actor: CanDeactivateUsers,
    session: DbSession,
    response: Response,
    body: DeactivationIn | None = None,
) -> UserProfile:
    await lifecycle.deactivate_user(session, actor, user_id, body.reason if body else None)
    return await _profile(session, actor, user_id, response)


@router.post("/{user_id}/reactivate", summary="Reactivate a deactivated user")
async def reactivate_user(
    user_id: uuid.UUID, actor: CanDeactivateUsers, session: DbSession, response: Response
) -> UserProfile:
    await lifecycle.reactivate_user(session, actor, user_id)
    return await _profile(session, actor, user_id, response)


@router.post(
    "/{user_id}/invitation/resend",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send the invitation again (invited users only)",
)
async def resend_invitation(
    user_id: uuid.UUID,
    actor: CanInviteUsers,
    session: DbSession,
    settings: Settings,
    response: Response,
) -> UserProfile:
    interval = timedelta(seconds=settings.invitation_resend_interval_seconds)
    await invitations.resend_invitation(session, actor, user_id, interval)
    return await _profile(session, actor, user_id, response)


async def _profile(
    session: DbSession, actor: CanReadUsers, user_id: uuid.UUID, response: Response
) -> UserProfile:
    profile = user_profile(await queries.get_profile(session, actor, user_id))
    response.headers["ETag"] = f'"{profile.version}"'
    return profile
