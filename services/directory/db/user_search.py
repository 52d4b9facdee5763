"""The user list: filters, keyset pagination and a total that stays cheap on a million rows.

Every filter is a condition that an index of `users` serves: trigram GIN for text, a GIN
of letter pairs for two-letter terms (too short for a trigram), the state GIN for status,
role, invitation and e-mail state and login state, jsonb GIN for custom fields, btree for
groups, dates and invitation expiry.

A page is read one of two ways, chosen from what the planner expects of the filter (one
EXPLAIN, about a millisecond):

- *collect*: when at most the exact-total limit match and gathering them is cheap, the
  matches are looked up through those indexes, sorted and cut at the cursor; the same
  statement counts them, so the total is exact. The work is bounded by the number of
  matches, wherever they sit in the sort order.
- *walk*: otherwise a sort index is read from the cursor, filtering as it goes; with that
  many matches a page fills within a few thousand rows. The total is the estimate.

Left to itself, the planner walks whenever it expects the page to fill early, and reads
the whole index when the matches all sit at the far end of the order (a search for
"tremblay" sorted by name: 940,000 rows before the first match). In last-login order,
those who never logged in sit together at one end, so that order is read in two parts.
Pages are never read with OFFSET.
"""

import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    and_,
    cast,
    exists,
    false,
    func,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import Text

from services.directory.db.models import NEVER_LOGGED_IN, User, UserGroup
from services.directory.domain.listing import InvitationFilter, UserFilter, UserSort
from shared.contracts.users import InvitationState

SORT_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "name": User.sort_name,
    "email": User.email_normalized,
    "created_at": User.created_at,
    "last_login_at": User.last_login_sort,
}
TRIGRAM = 3
# What reading one matching row scattered over the table costs the planner (a heap page
# between seq_page_cost 1 and random_page_cost 4, and the row's recheck).
COST_PER_MATCH = 3.0
Column = ColumnElement[Any] | InstrumentedAttribute[Any]
NEVER = datetime.fromisoformat(NEVER_LOGGED_IN)
NEVER_STATE, LOGGED_IN_STATE = "never", "logged_in"  # users.login_state


@dataclass(frozen=True)
class Position:
    """Where a page ends: the last row's sort value and id."""

    sort_value: Any
    user_id: uuid.UUID


@dataclass(frozen=True)
class FoundPage:
    users: list[User]
    has_more: bool
    total: int
    total_is_exact: bool


def sort_column(sort: UserSort) -> InstrumentedAttribute[Any]:
    return SORT_COLUMNS[sort.value.lstrip("-")]


def like_contains(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- filters ------------------------------------------------------------------------------


def conditions_for(
    tenant_id: uuid.UUID,
    f: UserFilter,
    now: datetime,
    sort: UserSort = UserSort.NAME,
    *,
    for_walk: bool = False,
) -> list[ColumnElement[bool]]:
    """The filter as conditions on `users`: for looking the matches up through indexes, or
    (`for_walk`) for checking row by row along a sort index, where a plain LIKE is cheaper
    than computing a text's letter pairs."""
    where: list[ColumnElement[bool]] = [User.tenant_id == tenant_id]
    if f.group_ids:
        where.append(
            exists().where(
                UserGroup.tenant_id == User.tenant_id,
                UserGroup.user_id == User.id,
                UserGroup.group_id.in_(f.group_ids),
            )
        )
    if f.roles:
        where.append(User.role.in_(f.roles))
    if f.statuses:
        where.append(User.status.in_([s.value for s in f.statuses]))
    if f.invitation_states:
        where.append(or_(*(_invitation_condition(s, now) for s in f.invitation_states)))
    if f.email_states:
        where.append(User.email_state.in_([s.value for s in f.email_states]))
    if f.email_contains:
        where.extend(_email_contains(f.email_contains.lower(), for_walk))
    where.extend(_text_contains(term, for_walk) for term in f.search_terms)
    where.extend(
        User.custom_fields.op("@>")(cast({str(field_id): value}, JSONB))
        for field_id, value in f.custom_fields.items()
    )
    where.extend(_date_ranges(f))
    where.extend(_last_login(f, sort, for_walk))
    return where


def _text_contains(term: str, for_walk: bool) -> ColumnElement[bool]:
    """Names or e-mail contain `term`. A two-letter term has no trigram for pg_trgm to look
    up (it would read its whole index); it is one of the text's letter pairs instead."""
    if len(term) < TRIGRAM and not for_walk:
        return _has_letter_pair(term)
    return User.search_text.like(like_contains(term))


def _email_contains(term: str, for_walk: bool) -> list[ColumnElement[bool]]:
    contains = User.email_normalized.like(like_contains(term))
    if 1 < len(term) < TRIGRAM and not for_walk:
        # search_text ends with email_normalized: its letter pairs include the e-mail's.
        return [contains, _has_letter_pair(term)]
    return [contains]


def _has_letter_pair(pair: str) -> ColumnElement[bool]:
    pairs = func.text_bigrams(User.search_text, type_=ARRAY(Text))
    return pairs.contains(cast([pair], ARRAY(Text)))


def _invitation_condition(state: InvitationFilter, now: datetime) -> ColumnElement[bool]:
    waiting = (InvitationState.SENT.value, InvitationState.DELIVERED.value)
    not_expired = or_(User.invitation_expires_at.is_(None), User.invitation_expires_at > now)
    if state is InvitationFilter.EXPIRED:
        return and_(User.invitation_state.in_(waiting), User.invitation_expires_at <= now)
    if state.value in waiting:
        return and_(User.invitation_state == state.value, not_expired)
    return User.invitation_state == state.value


def _date_ranges(f: UserFilter) -> list[ColumnElement[bool]]:
    ranges: list[ColumnElement[bool]] = []
    if f.created_from:
        ranges.append(User.created_at >= f.created_from)
    if f.created_to:
        ranges.append(User.created_at < f.created_to)
    if f.last_login_from:
        ranges.append(User.last_login_sort >= f.last_login_from)
    if f.last_login_to:
        ranges.append(User.last_login_sort < f.last_login_to)
    return ranges


def _last_login(f: UserFilter, sort: UserSort, for_walk: bool) -> list[ColumnElement[bool]]:
    """Conditions on the last login go through `login_state`, which the state index and its
    statistics know, and `last_login_sort` (equal to `last_login_at` for those who logged
    in). A walk of the last-login order also gets the range of that order they sit in."""
    logged_in = f.never_logged_in is False or bool(f.last_login_from or f.last_login_to)
    if f.never_logged_in is None and not logged_in:
        return []
    if f.never_logged_in and logged_in:
        return [false()]
    if f.never_logged_in:
        state, order_range = User.login_state == NEVER_STATE, User.last_login_sort == NEVER
    else:  # every login happened after 1970, the moment `last_login_sort` gives the others
        state, order_range = User.login_state == LOGGED_IN_STATE, User.last_login_sort > NEVER
    return [state, order_range] if for_walk and _by_last_login(sort) else [state]


def _by_last_login(sort: UserSort) -> bool:
    return sort_column(sort) is User.last_login_sort


# --- the planner's estimate -----------------------------------------------------------------


class Explain(Executable, ClauseElement):
    """`EXPLAIN (FORMAT JSON) <query>`, bound like the query itself would be."""

    inherit_cache = False

    def __init__(self, query: Select[Any]) -> None:
        self.query = query


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return f"EXPLAIN (FORMAT JSON) {compiler.process(element.query, **kw)}"


@dataclass(frozen=True)
class Estimate:
    rows: int  # how many rows the planner expects
    cost: float  # what it expects reading them all to cost, in its units


async def planner_estimate(session: AsyncSession, query: Select[Any]) -> Estimate:
    """The planner's expectation for `query` (its statistics, not a count)."""
    plan = (await session.execute(Explain(query))).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    top = plan[0]["Plan"]
    return Estimate(rows=int(top["Plan Rows"]), cost=float(top["Total Cost"]))


# --- pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """What a page of the list is asked for."""

    tenant_id: uuid.UUID
    filter: UserFilter
    sort: UserSort
    after: Position | None
    limit: int

    def conditions(self, now: datetime, *, for_walk: bool = False) -> list[ColumnElement[bool]]:
        return conditions_for(self.tenant_id, self.filter, now, self.sort, for_walk=for_walk)


async def find_page(
    session: AsyncSession, listing: Listing, exact_up_to: int, now: datetime
) -> FoundPage:
    """A page of at most `listing.limit` users, and how many match in all (exact when at
    most `exact_up_to` are expected to, otherwise the planner's estimate)."""
    # The filters' values vary from one request to the next: plan each statement for its
    # values, never with a generic plan cached from others (this transaction only).
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    filtered = listing.filter != UserFilter()
    if filtered and _by_last_login(listing.sort) and listing.filter.never_logged_in is None:
        return await _find_by_login_state(session, listing, exact_up_to, now)
    return await _find(session, listing, exact_up_to, now)


async def _find_by_login_state(
    session: AsyncSession, listing: Listing, exact_up_to: int, now: datetime
) -> FoundPage:
    """In last-login order, those who never logged in come first or last, all together.
    Many filters match only them (invited users) or only the others, and a walk from the
    wrong end would cross every row of the other part: read each part on its own."""
    never, logged_in = (
        replace(listing, filter=replace(listing.filter, never_logged_in=value))
        for value in (True, False)
    )
    first, second = (logged_in, never) if listing.sort.descending else (never, logged_in)
    head = await _find(session, first, exact_up_to, now)
    rest = listing.limit - len(head.users)
    tail = await _find(session, replace(second, limit=rest), exact_up_to, now)
    return FoundPage(
        users=[*head.users, *tail.users],
        has_more=head.has_more or tail.has_more,
        total=head.total + tail.total,
        total_is_exact=head.total_is_exact and tail.total_is_exact,
    )


async def _find(
    session: AsyncSession, listing: Listing, exact_up_to: int, now: datetime
) -> FoundPage:
    conditions = listing.conditions(now)
    if any(c is false() for c in conditions):
        return FoundPage([], False, 0, True)
    expected = await planner_estimate(session, select(User.id).where(*conditions))
    if collects(expected, exact_up_to):
        return await _collected_page(session, listing, conditions, exact_up_to)
    walk_conditions = listing.conditions(now, for_walk=True)
    return await _walked_page(session, listing, walk_conditions, expected.rows)


def collects(expected: Estimate, exact_up_to: int) -> bool:
    """Whether to collect every match rather than walk a sort index: when the planner
    expects at most `exact_up_to` of them, and gathering them costs no more than reading
    that many rows scattered over the table would (not, say, 145,000 expired invitations
    to keep the 11,000 in one group)."""
    return expected.rows <= exact_up_to and expected.cost <= COST_PER_MATCH * exact_up_to


async def _collected_page(
    session: AsyncSession,
    listing: Listing,
    conditions: list[ColumnElement[bool]],
    exact_up_to: int,
) -> FoundPage:
    limit = listing.limit
    query = collect_query(conditions, listing.sort, listing.after, limit + 1)
    rows = (await session.execute(query)).all()
    users = [row[0] for row in rows[:limit]]
    if rows:
        total = int(rows[0][1])
    elif listing.after is None:
        total = 0
    else:  # a cursor past the last match (the list changed): nothing joined to count with
        count = select(func.count()).select_from(User).where(*conditions)
        total = (await session.execute(count)).scalar_one()
    # Counted, but the list promises exact totals only up to the limit (the planner
    # expected fewer): above it the number is marked as one not to rely on.
    return FoundPage(users, len(rows) > limit, total, total <= exact_up_to)


async def _walked_page(
    session: AsyncSession, listing: Listing, conditions: list[ColumnElement[bool]], expected: int
) -> FoundPage:
    limit = listing.limit
    query = walk_query(conditions, listing.sort, listing.after, limit + 1)
    rows = list((await session.execute(query)).scalars())
    users, more = rows[:limit], len(rows) > limit
    if listing.after is None and not more:  # the whole list is this page
        return FoundPage(users, False, len(users), True)
    return FoundPage(users, more, max(expected, len(rows)), False)


def walk_query(
    conditions: list[ColumnElement[bool]], sort: UserSort, after: Position | None, limit: int
) -> Select[User]:
    """Users in sort order from the cursor, as the planner reads them best with a LIMIT:
    along the sort index when many match."""
    column = sort_column(sort)
    query = select(User).where(*conditions)
    if after is not None:
        query = query.where(_after(column, User.id, sort, after))
    return query.order_by(*_order(column, User.id, sort)).limit(limit)


def collect_query(
    conditions: list[ColumnElement[bool]], sort: UserSort, after: Position | None, limit: int
) -> Select[User, int]:
    """Rows of (user, number of matches). MATERIALIZED keeps the planner from pushing the
    ORDER BY ... LIMIT into the matches, which would turn this back into a walk."""
    column = sort_column(sort)
    matches = (
        select(User.tenant_id, User.id, column.label("sort_key"))
        .where(*conditions)
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )
    page = select(matches.c.tenant_id, matches.c.id)
    if after is not None:
        page = page.where(_after(matches.c.sort_key, matches.c.id, sort, after))
    page_rows = (
        page.order_by(*_order(matches.c.sort_key, matches.c.id, sort)).limit(limit).subquery()
    )
    total = select(func.count()).select_from(matches).scalar_subquery()
    return (
        select(User, total.label("total"))
        .join(page_rows, and_(User.tenant_id == page_rows.c.tenant_id, User.id == page_rows.c.id))
        .order_by(*_order(column, User.id, sort))
    )


def _after(key: Column, user_id: Column, sort: UserSort, after: Position) -> ColumnElement[bool]:
    row, last = tuple_(key, user_id), tuple_(after.sort_value, after.user_id)
    return row < last if sort.descending else row > last


def _order(key: Column, user_id: Column, sort: UserSort) -> tuple[ColumnElement[Any], ...]:
    return (key.desc(), user_id.desc()) if sort.descending else (key.asc(), user_id.asc())
