"""The directory list: a page of the users the filters match, in the order asked for."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.directory.db.list_pages import Listing
from services.directory.db.user_search import find_page, listing_fields
from services.directory.domain.custom_fields import CustomFieldRecord, definition_of
from services.directory.domain.listing import ListedUser, Position
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.user_filters import UserFilters, UserSort
from shared.security.access_tokens import Principal


@dataclass(frozen=True)
class UserPage:
    users: Sequence[ListedUser]  # each with its groups
    fields: Sequence[CustomFieldRecord]
    next_position: Position | None
    total: int
    total_is_exact: bool


async def list_users(
    uow: DirectoryUnitOfWork,
    actor: Principal,
    filters: UserFilters,
    sort: UserSort,
    after: Position | None,
    limit: int,
    exact_total_up_to: int,
) -> UserPage:
    """At most `limit` users after `after`, and how many match in all (exact up to
    `exact_total_up_to` expected matches, the planner's estimate above)."""
    tenant_id = actor.tenant_id
    fields = await listing_fields(uow.session, tenant_id)
    listing = Listing(tenant_id, filters, field_values_by_id(filters, fields), sort, after, limit)
    page = await find_page(uow.session, listing, exact_total_up_to, datetime.now(UTC))
    return UserPage(
        users=page.users,
        fields=fields,
        next_position=page.next_position(sort),
        total=page.total,
        total_is_exact=page.total_is_exact,
    )


def field_values_by_id(
    filters: UserFilters, fields: Sequence[CustomFieldRecord]
) -> dict[uuid.UUID, Any]:
    """The custom-field filters as stored (values are kept by the field's id)."""
    if not filters.custom_fields:
        return {}
    by_key = {f.key: f for f in fields}
    values = filters.custom_field_values({key: definition_of(f) for key, f in by_key.items()})
    return {by_key[key].id: value for key, value in values.items()}
