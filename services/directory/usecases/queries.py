"""Reading the directory: the filtered list and a user's profile."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import custom_fields as fields_db
from services.directory.db import users as users_db
from services.directory.db.activities import recent_activities
from services.directory.db.enrollments import enrollments_of
from services.directory.db.models import Activity, CustomField, Enrollment, User
from services.directory.db.user_filters import sort_column
from services.directory.db.user_search import Listing, Position, find_page
from services.directory.domain.listing import UserFilter, UserSort
from services.directory.usecases.common import load_user
from shared.contracts.users import GroupRef
from shared.security.access_tokens import Principal


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    groups: dict[uuid.UUID, list[GroupRef]]
    fields: list[CustomField]
    next_position: Position | None
    total: int
    total_is_exact: bool


async def list_users(
    session: AsyncSession,
    actor: Principal,
    user_filter: UserFilter,
    sort: UserSort,
    after: Position | None,
    limit: int,
    exact_total_up_to: int,
) -> UserPage:
    listing = Listing(actor.tenant_id, user_filter, sort, after, limit)
    page = await find_page(session, listing, exact_total_up_to, datetime.now(UTC))
    users = page.users
    last = users[-1] if users and page.has_more else None
    return UserPage(
        users=users,
        groups=await users_db.groups_of(session, actor.tenant_id, [u.id for u in users]),
        fields=await fields_db.list_fields(session, actor.tenant_id),
        next_position=(
            Position(getattr(last, sort_column(sort).key), last.id) if last is not None else None
        ),
        total=page.total,
        total_is_exact=page.total_is_exact,
    )


@dataclass(frozen=True)
class Profile:
    user: User
    groups: list[GroupRef]
    fields: list[CustomField]
    enrollments: list[Enrollment]
    activities: list[Activity]


async def get_profile(
    session: AsyncSession, actor: Principal, user_id: uuid.UUID, activity_limit: int = 20
) -> Profile:
    user = await load_user(session, actor, user_id, for_update=False)
    groups = await users_db.groups_of(session, actor.tenant_id, [user.id])
    return Profile(
        user=user,
        groups=groups.get(user.id, []),
        fields=await fields_db.list_fields(session, actor.tenant_id),
        enrollments=await enrollments_of(session, actor.tenant_id, user.id),
        activities=await recent_activities(session, actor.tenant_id, user.id, activity_limit),
    )


async def user_activities(
    session: AsyncSession,
    actor: Principal,
    user_id: uuid.UUID,
    limit: int,
    before: tuple[datetime, uuid.UUID] | None,
) -> list[Activity]:
    await load_user(session, actor, user_id, for_update=False)
    return await recent_activities(session, actor.tenant_id, user_id, limit, before)
