"""A text search in e-mail order, walked in the side table's e-mail index
(`ix_user_name_pieces_email`: each address with its search text, migration 0013) without
a heap page for each address passed; chosen by `user_search._find`.

`users` has no covering index in e-mail order (its every update would write one more
wide entry): a walk of `uq_users_email` reads the heap for the search text of every
address it passes, and collecting the matches reads a heap page for each ("tremblay":
14,761 matches in 68 bunches along the order, 13,600 heap pages). The side table's index
holds the search text: a walk checks the term on the entry (~0.3-0.5 us), and reads
`users` only for the page's rows.
"""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    false,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy import column as sql_column
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db.list_pages import (
    USERS,
    Estimate,
    FoundPage,
    Listing,
    after_cursor,
    execute,
    sort_order,
    users_of_page,
)
from services.directory.db.models import UserNamePieces
from services.directory.db.user_filters import like_contains
from services.directory.domain.listing import ListedUser
from shared.contracts.user_filters import UserFilters, UserSort

PIECES = UserNamePieces.__table__.c
# A walk passes at most this many entries a match the planner expects (at most
# 4 × expected entries of the index, ~1.5 us a match, about what collecting them costs:
# a heap page each) before the list reads the page as before; a page of matches spread
# over the order fills within limit × rows ÷ matches ("tremblay": 51 × 1 M ÷ 14,761 ≈
# 3,500; bunched, the longest stretch without a match is 14,853).
WALK_PER_MATCH = 4


def walks_text_in_email_order(filters: UserFilters, sort: UserSort) -> bool:
    """Whether the list is in e-mail order and filtered by text terms only (names or
    address contain ...): what the side table's e-mail index can check on its own."""
    text_only = filters.model_copy(update={"q": None, "email": None}).is_empty
    searches = bool(filters.search_terms or filters.email_contains)
    return sort.key == UserSort.EMAIL.key and searches and text_only


def text_conditions(
    filters: UserFilters, search_text: ColumnElement[str], email: ColumnElement[str]
) -> list[ColumnElement[bool]]:
    """The text filters, as `user_filters.conditions_for` checks them on a walk, on these
    columns (the side table's)."""
    address = filters.email_contains
    return [
        *(search_text.like(like_contains(term)) for term in filters.search_terms),
        *([email.like(like_contains(address.lower()))] if address else []),
    ]


async def email_walk_page(
    session: AsyncSession, listing: Listing, expected: Estimate, now: datetime
) -> FoundPage | None:
    """The page of a text search in e-mail order, from the side table's e-mail index
    (index-only) from the cursor, at most `WALK_PER_MATCH` entries a match expected; the
    total, the planner's estimate (counted when the whole list is this page). None where
    the walk does not apply (`walks_text_in_email_order`) or its span ended before a page
    and one more (the list then reads it as before: the matches may go on past the span)."""
    del now  # text conditions do not depend on the moment
    if not walks_text_in_email_order(listing.filters, listing.sort):
        return None
    span = WALK_PER_MATCH * max(expected.rows, listing.limit + 1)
    rows = (await execute(session, email_walk_query(listing, span))).all()
    matches = [row for row in rows if row.matched]
    if len(matches) > listing.limit:
        users = cast(list[ListedUser], matches[: listing.limit])
        return FoundPage(users, True, max(expected.rows, len(users)), False)
    if len(matches) < len(rows):  # the span's end: the matches may go on after it
        return None
    users = cast(list[ListedUser], matches)  # the list ended within the span
    if listing.after is None:  # the whole list is this page
        return FoundPage(users, False, len(users), True)
    return FoundPage(users, False, max(expected.rows, len(users)), False)


def email_walk_query(listing: Listing, span: int) -> Select[Any]:
    """Rows of (user, whether it matches): the first `limit` + 1 entries of the side
    table's e-mail order from the cursor whose search text matches, among its next `span`
    entries (a LIMIT in a subquery, which the filter stays outside of); then their rows by
    primary key. Only when fewer than that match, the span's last entry (not a match: a
    marker that the walk got that far, and the matches may go on after it), read by a
    second walk without the filter: the outer LIMIT stops before it otherwise."""
    sort, after = listing.sort, listing.after
    order = sort_order(PIECES.email_normalized, PIECES.user_id, sort)
    entries = select(
        PIECES.tenant_id, PIECES.user_id, PIECES.email_normalized, PIECES.search_text
    ).where(PIECES.tenant_id == listing.tenant_id)
    if after is not None:
        entries = entries.where(after_cursor(PIECES.email_normalized, PIECES.user_id, sort, after))
    walked = entries.order_by(*order).limit(span).subquery("walked")
    # The subquery's columns by name (`.c`'s proxies cost ~1 ms a request to build).
    tenant_id = sql_column("tenant_id", PIECES.tenant_id.type)
    user_id = sql_column("user_id", PIECES.user_id.type)
    email = sql_column("email_normalized", PIECES.email_normalized.type)
    search_text = sql_column("search_text", PIECES.search_text.type)
    page = listing.limit + 1
    matches = (
        select(tenant_id, user_id.label("id"), true().label("matched"))
        .select_from(walked)
        .where(*text_conditions(listing.filters, search_text, email))
        .order_by(*sort_order(email, user_id, sort))
        .limit(page)
    )
    span_end = (
        entries.with_only_columns(PIECES.tenant_id, PIECES.user_id, false().label("matched"))
        .order_by(*order)
        .offset(span - 1)
        .limit(1)
    )
    found = union_all(matches, span_end).subquery("found")
    page_rows = select(found).limit(page).subquery("page")
    order = sort_order(USERS.email_normalized, USERS.id, sort)
    return users_of_page(page_rows, order, literal_column("page.matched").label("matched"))
