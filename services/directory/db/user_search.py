"""The user list's pages: keyset pagination and a total that stay cheap on a million rows
(the filters themselves are in `user_filters.py`).

A page is read one of two ways, chosen from what the planner expects of the filter (one
EXPLAIN, about a millisecond):

- *collect*: when at most the exact-total limit match and gathering them is cheap, the
  matches are looked up through those indexes, sorted and cut at the cursor; the same
  statement counts them, so the total is exact. The work is bounded by the number of
  matches, wherever they sit in the sort order.
- *walk*: otherwise a sort index is read from the cursor, filtering as it goes; with that
  many matches a page fills within a few thousand rows. The total is the estimate.
- *short walk, then collect*: where the matches may sit together far along the sort order
  (a text term in a text order) and many rows match, a walk is first bounded to a short
  span of the order; when the page does not fill within it, the matches are collected.
- *probe, then walk or collect*: where the planner expects few enough matches to collect but
  a page within a few entries per match of an order whose index carries the filters, the
  first part of a bounded span of the order is probed index-only, and the walk goes on
  within the span when the probe found the matches dense enough; else, or when the span
  ends first, the matches are collected (one statement).
- *seek*: in name order, where the term starts a page of family names ("tremblay"), the
  names under the term's initial are walked (index-only) from the initial's first name, and
  the few matches under the other initials are looked up by the term's tagged three-letter
  pieces (`ix_user_name_pieces`); the page is the two merged, the total an estimate
  (`name_seek.py`).
- *e-mail walk*: in e-mail order, a search by text terms alone walks the side table's
  e-mail index, which holds the search text (index-only), and reads the page's rows
  (`email_walk.py`).

Left to itself, the planner walks whenever it expects the page to fill early, and reads
the whole index when the matches all sit at the far end of the order (a search for
"tremblay" sorted by name: 940,000 rows before the first match). In last-login order,
those who never logged in sit together at one end, so that order is read in two parts.
Pages are never read with OFFSET.
"""

import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    null,
    select,
    tuple_,
    union_all,
)
from sqlalchemy import column as sql_column
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.selectable import CTE, FromClause, Subquery
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import iterate

from services.directory.db.custom_fields import FIELD_COLUMNS
from services.directory.db.email_walk import email_walk_page
from services.directory.db.list_pages import (
    LISTED,
    USERS,
    Estimate,
    FoundPage,
    Listing,
    after_cursor,
    execute,
    planner_estimate,
    sort_order,
    users_of_page,
)
from services.directory.db.models import ORDER_INDEX_COVERS, CustomField, User
from services.directory.db.name_seek import SEEK_FROM, seek_page
from services.directory.db.user_filters import by_last_login, sort_column
from services.directory.domain.custom_fields import CustomFieldRecord
from services.directory.domain.listing import ListedUser, Position
from shared.contracts.user_filters import UserFilters, UserSort

# What reading one matching row scattered over the table costs the planner (a heap page
# between seq_page_cost 1 and random_page_cost 4, and the row's recheck).
COST_PER_MATCH = 3.0
# Matches spread over the sort order at random: a walk reads limit × (rows ÷ matches) rows
# to fill a page, collecting reads every match; with 51 rows a page and 1 M rows they meet
# at √(51 × 1 M) ≈ 7,000. Set above that because the risks differ: collecting when the
# planner overestimated costs at most this many rows, walking when it overestimated reads
# far more ("sent, not expired": 5,258 expected, 913 real; walked 836 ms, collected 66).
WALK_BREAK_EVEN = 10_000
# Where a walk may find no match for most of the order (a text term with a text order:
# "tremblay" by name, 940,000 rows before the first match), more matches than a page are
# collected, up to this many (1.5 × the default exact-total limit: the planner's guess for
# "tremblay", 14,761 matches, was 16,016 after one ANALYZE and 21,021 after the next);
# more than that, the walk goes on to the end of the order. Where many of the rows match
# ("exemple.ca", 20 %), a walk over a short span of the order (`walk_span`) is tried
# first, and the matches collected when no page fills within it. Before, all of them were
# collected: "exemple.ca" at 100 k users (20,000 matches spread over the name order) in
# 255 ms, where a walk reads ~250 rows. Not higher: with 100,000, terms of 30,000-60,000
# matches ("marie", "ab", "lé" at 1 M) paid ~1.3-2.5 ms more CPU per request (the span's
# bound and a second estimate) for the safety of terms bunched far along the order that
# the benchmark does not have.
STRAY_COLLECT_MOST = 30_000
TEXT_ORDERS = (UserSort.NAME.key, UserSort.EMAIL.key)
# Orders whose index carries the filters' columns (all but the custom fields:
# `models.ORDER_INDEX_COVERS`): their walk reads only index entries (~0.3-0.8 us each on
# a million users) where a walk along another order reads a heap page for each row it
# passes (~2-4 us). "lé" by name (43,000 matches, a page 7,600 rows along): 12.5 ms, 3 ms
# from the index; "expired + group" newest first (11,000 rows along): 17-26 ms, 3.5-4.7.
# Collecting is chosen as before: an index-only walk from 2,000 or 4,000 expected matches
# was tried, and walked filters that the planner overestimates five-fold ("sent, not
# expired": 5,230 expected, 913 real, a page 56,000 entries along) in 16-25 ms with an
# estimated total, where collecting them takes 6 ms and counts them exactly.
COVERING_ORDERS = (UserSort.CREATED.key, UserSort.NAME.key)
# What each covering order's index holds (its key and what it includes): a condition on
# these columns alone is checked on the index entry; another (a custom field) needs the row.
_KEYS = frozenset({"tenant_id", "id", "created_at", *ORDER_INDEX_COVERS})
COVERED_COLUMNS = {UserSort.CREATED.key: _KEYS, UserSort.NAME.key: _KEYS | {"sort_name"}}
# A mix that would be collected is walked first, index-only, where the planner's estimate
# says a page fills within this many times as many entries as there are matches to collect
# (a walk's entry ~0.3-0.4 us, a collected match ~2-4 us: its GIN share and heap page).
# "two groups+active+q=marie" newest first: 4,977 expected, a page 8,069 entries along
# (3-4 ms index-only), collected in 20 ms; "invitation=failed" by name: 2,233 expected, a
# page ~20,000 along (7 ms), collected in 3.
PROBED_WALK_PER_MATCH = 8
# The walk reads at most twice the entries the estimate says a page takes; a probe of an
# eighth of that comes first, and the walk goes on only where the probe found matches as
# dense as the bound needs (else the matches are collected, in the same statement). The
# planner takes "invitation=sent, not expired" (913 real) for 5,145: walked, a page is
# 59,612 entries along; probed, 2,500 entries (~1 ms) before its 2 ms collect.
PROBED_WALK_SPAN = 2
PROBE_SHARE = 8
# Fewer expected matches are collected without asking (the tenant's size, one EXPLAIN, is
# needed to tell): at a million users a probed walk pays from ~2,500 expected matches.
PROBED_WALK_FROM = 2_000
# Only a collect through the filters' GIN is probed (`Estimate.through_filters_gin`): it
# pays for every condition's posting list, however long (the 800,000 active users: 14 ms
# of "two groups+active+q=marie"'s 20), before a heap page per match. Where the planner
# collects through a btree (an invitation's state and expiry: "sent, not expired",
# "failed"), it reads just the matches, in 2-3 ms, and its estimate may be five times too
# many (913 real of 5,145).


# The tenant's custom fields (the list shows their values by key, and filters by them),
# and, in the same round trip, the settings of the list's statements (this transaction
# only): each statement is planned for its values, never with a generic plan cached from
# others (the filters' values vary from one request to the next); bitmaps of a few hundred
# thousand rows stay exact (with the default 4 MB a bitmap over a million-row table turns
# lossy, and every row of its pages is read and rechecked: 18,000 heap pages for 1,810
# matches); no JIT compilation, which costs more than any of these statements runs. A LEFT
# JOIN from the settings, so that a tenant without fields still gets them.
LIST_SETTINGS = {"plan_cache_mode": "force_custom_plan", "work_mem": "32MB", "jit": "off"}
_SETTINGS = select(
    *(func.set_config(name, value, True).label(name) for name, value in LIST_SETTINGS.items())
)
FIELDS_AND_SETTINGS = (
    select(*FIELD_COLUMNS)
    .select_from(_SETTINGS.subquery("list_settings"))
    .outerjoin(CustomField, CustomField.tenant_id == bindparam("tenant_id"))
    .order_by(CustomField.position, CustomField.key)
)


async def listing_fields(session: AsyncSession, tenant_id: uuid.UUID) -> list[CustomFieldRecord]:
    """The tenant's custom field definitions, as `find_page` needs them; call it first in
    the list's transaction (it also makes the settings that `find_page` relies on)."""
    rows = (await execute(session, FIELDS_AND_SETTINGS, {"tenant_id": tenant_id})).all()
    return cast(list[CustomFieldRecord], [row for row in rows if row.id is not None])


async def find_page(
    session: AsyncSession, listing: Listing, exact_up_to: int, now: datetime
) -> FoundPage:
    """A page of at most `listing.limit` users, and how many match in all (exact when at
    most `exact_up_to` are expected to, otherwise the planner's estimate). After
    `listing_fields` in the same transaction."""
    filters = listing.filters
    walk_in_parts = (
        not filters.is_empty and by_last_login(listing.sort) and filters.never_logged_in is None
    )
    return await _find(session, listing, exact_up_to, now, walk_in_parts=walk_in_parts)


async def _find_by_login_state(
    session: AsyncSession, listing: Listing, exact_up_to: int, now: datetime
) -> FoundPage:
    """In last-login order, those who never logged in come first or last, all together.
    Many filters match only them (invited users) or only the others, and a walk from the
    wrong end would cross every row of the other part: read each part on its own."""
    never, logged_in = (
        replace(listing, filters=listing.filters.model_copy(update={"never_logged_in": value}))
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
    session: AsyncSession,
    listing: Listing,
    exact_up_to: int,
    now: datetime,
    *,
    walk_in_parts: bool = False,
) -> FoundPage:
    """The page collected or walked, as the planner's estimate says. `walk_in_parts`: a
    walk in last-login order reads each part on its own (`_find_by_login_state`); a
    collect sorts the matches whichever part they are in, in one statement with one
    intersection in the GIN (the parts took two of each, ~6 ms apiece for a mix)."""
    conditions = listing.conditions(now)
    if any(c is false() for c in conditions):
        return FoundPage([], False, 0, True)
    expected = await planner_estimate(session, select(User.id).where(*conditions))
    if expected.rows >= SEEK_FROM and walk_may_stray(listing.filters, listing.sort):
        by_name = listing.sort.key == UserSort.NAME.key
        seeked = await (seek_page if by_name else email_walk_page)(session, listing, expected, now)
        if seeked is not None:
            return seeked
    if collects(expected, exact_up_to):
        span = await _probed_walk_span(session, listing, expected)
        if span is not None:
            return await _probed_page(session, listing, span, expected.rows, exact_up_to, now)
        return await _collected_page(session, listing, conditions, exact_up_to)
    if walk_in_parts:
        return await _find_by_login_state(session, listing, exact_up_to, now)
    walk_conditions = listing.conditions(now, for_walk=True)
    if walk_may_stray(listing.filters, listing.sort) and collects_after_a_short_walk(expected):
        span = walk_span(expected.rows, await _tenant_rows(session, listing), listing.limit)
        if span is None:
            return await _collected_page(session, listing, conditions, exact_up_to)
        page = await walked_page(session, listing, walk_conditions, expected.rows, span)
        if page is not None:
            return page
        return await _collected_page(session, listing, conditions, exact_up_to)
    page = await walked_page(session, listing, walk_conditions, expected.rows)
    assert page is not None  # an unbounded walk always ends with its page
    return page


async def _probed_walk_span(
    session: AsyncSession, listing: Listing, expected: Estimate
) -> int | None:
    """For a mix that would be collected: how many entries of the sort order a walk reads
    at most before the matches are collected instead (`probed_walk_span`); None where the
    walk is not tried (an order whose index does not carry the filters, a text term in a
    text order: the seek and the short walks' case, too few matches expected)."""
    if (
        listing.sort.key not in COVERING_ORDERS
        or listing.filters.is_empty
        or expected.rows < PROBED_WALK_FROM
        or not expected.through_filters_gin
        or walk_may_stray(listing.filters, listing.sort)
    ):
        return None
    return probed_walk_span(expected.rows, await _tenant_rows(session, listing), listing.limit)


def probed_walk_span(expected_rows: int, tenant_rows: int, limit: int) -> int | None:
    """Twice the entries a page takes with the expected matches spread over the order,
    where that page is at most `PROBED_WALK_PER_MATCH` times as many entries as there are
    matches to collect; else None."""
    page = (limit + 1) * max(tenant_rows, expected_rows) // max(expected_rows, 1)
    return PROBED_WALK_SPAN * page if page <= PROBED_WALK_PER_MATCH * expected_rows else None


# The planner's estimate of each tenant's rows, asked at most once a minute a process (it
# changes with ANALYZE): one EXPLAIN fewer for the pages that weigh a walk by it.
TENANT_ROWS_SECONDS = 60.0
_tenant_rows_seen: dict[uuid.UUID, tuple[float, int]] = {}


async def _tenant_rows(session: AsyncSession, listing: Listing) -> int:
    seen = _tenant_rows_seen.get(listing.tenant_id)
    if seen is not None and time.monotonic() - seen[0] < TENANT_ROWS_SECONDS:
        return seen[1]
    tenant = select(User.id).where(User.tenant_id == listing.tenant_id)
    rows = (await planner_estimate(session, tenant)).rows
    _tenant_rows_seen[listing.tenant_id] = (time.monotonic(), rows)
    return rows


def collects(expected: Estimate, exact_up_to: int) -> bool:
    """Whether to collect every match rather than walk a sort index: when the planner
    expects at most so many of them (the exact-total limit, and at most `WALK_BREAK_EVEN`:
    above that a walk meets a page of them sooner than collecting them all would end), and
    gathering them costs no more than reading that many rows scattered over the table
    would (not, say, 145,000 expired invitations to keep the 11,000 in one group)."""
    most = min(exact_up_to, WALK_BREAK_EVEN)
    return expected.rows <= most and expected.cost <= COST_PER_MATCH * exact_up_to


def walk_span(expected_rows: int, tenant_rows: int, limit: int) -> int | None:
    """How many rows of the sort order a walk reads at most before the matches are
    collected instead (where they may be bunched far along the order): a quarter as many
    as are expected to match, so that a walk that finds no page adds at most a quarter to
    collecting. None unless, with the matches spread over the order, a page would fill
    within half of that (limit × rows ÷ matches, twice over: matches come in clumps):
    tried from ~20,000 expected matches at 1 M rows, ~6,400 at 100 k. (Twice the spread
    page alone was too short: "ab" at 1 M, 58,000 matches, found no page within 1,750
    rows and was collected in 390 ms, where a walk took 54.)"""
    span = expected_rows // 4
    spread = (limit + 1) * max(tenant_rows, expected_rows) // max(expected_rows, 1)
    return span if 2 * spread <= span else None


def collects_after_a_short_walk(expected: Estimate) -> bool:
    """Where a walk may find no match for most of the order: whether the matches may be
    collected when a short walk found no page (else the walk goes on to the end of the
    order, the lesser cost for so many)."""
    return expected.rows <= STRAY_COLLECT_MOST and expected.cost <= (
        COST_PER_MATCH * STRAY_COLLECT_MOST
    )


def walk_may_stray(filters: UserFilters, sort: UserSort) -> bool:
    """Whether the matches may sit together far along the sort index, so that a walk
    would read most of it before its first match: a text term with a text order
    ("tremblay" by name: 940,000 rows first). Other filters do not follow the order."""
    searches_text = bool(filters.search_terms or filters.email_contains)
    return searches_text and sort.key in TEXT_ORDERS


async def _collected_page(
    session: AsyncSession,
    listing: Listing,
    conditions: list[ColumnElement[bool]],
    exact_up_to: int,
) -> FoundPage:
    query = collect_query(conditions, listing.sort, listing.after, listing.limit + 1)
    rows = (await execute(session, query)).all()
    return await _counted_page(session, listing, conditions, rows, exact_up_to)


async def _counted_page(
    session: AsyncSession,
    listing: Listing,
    conditions: list[ColumnElement[bool]],
    rows: Sequence[Any],
    exact_up_to: int,
) -> FoundPage:
    """The page of collected rows, each with the matches' count (`total`)."""
    users = cast(list[ListedUser], rows[: listing.limit])
    if rows:
        total = int(rows[0].total)
    elif listing.after is None:
        total = 0
    else:  # a cursor past the last match (the list changed): nothing joined to count with
        count = select(func.count()).select_from(User).where(*conditions)
        total = (await execute(session, count)).scalar_one()
    # Counted, but the list promises exact totals only up to the limit (the planner
    # expected fewer): above it the number is marked as one not to rely on.
    return FoundPage(users, len(rows) > listing.limit, total, total <= exact_up_to)


async def _probed_page(
    session: AsyncSession,
    listing: Listing,
    span: int,
    expected_rows: int,
    exact_up_to: int,
    now: datetime,
) -> FoundPage:
    """The page walked index-only within `span` entries of the sort order when a probe of
    its first part finds the matches dense enough, else collected (`probed_query`: one
    statement). Walked, the total is the estimate; collected, the count."""
    limit = listing.limit
    walk = listing.conditions(now, for_walk=True)
    collect = listing.conditions(now)
    query = probed_query(walk, collect, listing.sort, listing.after, limit + 1, span)
    rows = (await execute(session, query)).all()
    if rows and rows[0].total is None:
        users = cast(list[ListedUser], rows[:limit])
        return FoundPage(users, len(rows) > limit, max(expected_rows, len(rows)), False)
    return await _counted_page(session, listing, collect, rows, exact_up_to)


async def walked_page(
    session: AsyncSession,
    listing: Listing,
    conditions: list[ColumnElement[bool]],
    expected: int,
    span: int | None = None,
) -> FoundPage | None:
    """The page read along the sort index from the cursor; with `span`, reading at most
    that many rows of the order (matching or not): None when the page did not fill
    within them."""
    limit = listing.limit
    if span is not None:
        conditions = [*conditions, _within(listing, span)]
    query = walk_query(conditions, listing.sort, listing.after, limit + 1)
    rows = cast(list[ListedUser], (await execute(session, query)).all())
    users, more = rows[:limit], len(rows) > limit
    if span is not None and not more:
        return None  # the span ended first (or the list did: collecting tells which)
    if listing.after is None and not more:  # the whole list is this page
        return FoundPage(users, False, len(users), True)
    return FoundPage(users, more, max(expected, len(rows)), False)


def _within(listing: Listing, span: int) -> ColumnElement[bool]:
    """At most `span` rows of the tenant's sort order from the cursor: up to the span's
    last row, or the order's last where fewer follow (a bound on the sort index itself,
    which the walk's index scan stops at)."""
    column = USERS[sort_column(listing.sort).key]
    tenant = USERS.tenant_id == listing.tenant_id
    order = sort_order(column, USERS.id, listing.sort)
    span_rows = select(column, USERS.id).where(tenant)
    if listing.after is not None:
        span_rows = span_rows.where(after_cursor(column, USERS.id, listing.sort, listing.after))
    last_of_span = span_rows.order_by(*order).offset(span - 1).limit(1)
    reverse = sort_order(column, USERS.id, _reversed(listing.sort))
    last_of_all = select(column, USERS.id).where(tenant).order_by(*reverse).limit(1)
    ends = union_all(last_of_span, last_of_all).subquery("span_end")
    end = select(*ends.c).limit(1).scalar_subquery()
    row = tuple_(column, USERS.id)
    return row >= end if listing.sort.descending else row <= end


def _reversed(sort: UserSort) -> UserSort:
    return UserSort(sort.key if sort.descending else f"-{sort.key}")


# The users whose entries a walk's span passed, read for the conditions their entry does
# not carry (an alias built once: its 40 column proxies cost more than the statement).
MATCHED = User.__table__.alias("matched")
MATCHED_ROW = MATCHED.c

# The columns of the statements' own subqueries, named rather than taken from `.c` (whose
# proxies cost more than the rest of a statement), and built once: the first operator on
# a column keeps a comparator that refers back to it, a reference cycle whose objects
# only the garbage collector frees, in pauses that fall on a request.
_SORT_KEYS = {sort_column(sort).key for sort in UserSort}
MATCH_TENANT_ID = sql_column("tenant_id", USERS.tenant_id.type)
MATCH_ID = sql_column("id", USERS.id.type)
MATCH_SORT_KEYS = {key: sql_column("sort_key", USERS[key].type) for key in _SORT_KEYS}
COLLECTED_TENANT_ID = literal_column("collected.tenant_id", USERS.tenant_id.type)
COLLECTED_ID = literal_column("collected.id", USERS.id.type)
SPAN_TENANT_ID = literal_column("span.tenant_id", USERS.tenant_id.type)
SPAN_ID = literal_column("span.id", USERS.id.type)
SPAN_SORT_KEYS = {key: literal_column("span.sort_key", USERS[key].type) for key in _SORT_KEYS}
SPAN_PASSES = literal_column("span.passes", Boolean())
COUNT = func.count()
WALKS = sql_column("walks", Boolean())
COLLECTS = ~WALKS


def walk_query(
    conditions: list[ColumnElement[bool]], sort: UserSort, after: Position | None, limit: int
) -> Select[Any]:
    """Users in sort order from the cursor, as the planner reads them best with a LIMIT:
    along the sort index when many match. In an order whose index carries the filters'
    columns, the page's keys are found first (an index-only scan: no heap page for a row
    that does not match), then its rows are read."""
    column = USERS[sort_column(sort).key]
    order = sort_order(column, USERS.id, sort)
    if sort.key not in COVERING_ORDERS:
        query = LISTED.where(*conditions)
        if after is not None:
            query = query.where(after_cursor(column, USERS.id, sort, after))
        return query.order_by(*order).limit(limit)
    keys = select(USERS.tenant_id, USERS.id).where(*conditions)
    if after is not None:
        keys = keys.where(after_cursor(column, USERS.id, sort, after))
    page_rows = keys.order_by(*order).limit(limit).subquery("page")
    return users_of_page(page_rows, order)


def collect_query(
    conditions: list[ColumnElement[bool]], sort: UserSort, after: Position | None, limit: int
) -> Select[Any]:
    """Rows of (user, number of matches)."""
    matches = _matches(conditions, sort)
    page_rows = _first_matches(matches, sort, after, limit, "page")
    total = select(func.count()).select_from(matches).scalar_subquery()
    return _listed(page_rows, total, sort)


def _matches(conditions: list[ColumnElement[bool]], sort: UserSort) -> CTE:
    """Every match with its sort key. MATERIALIZED keeps the planner from pushing the
    ORDER BY ... LIMIT into the matches, which would turn this back into a walk."""
    key = USERS[sort_column(sort).key]
    matches = select(USERS.tenant_id, USERS.id, key.label("sort_key")).where(*conditions)
    return matches.cte("matches").prefix_with("MATERIALIZED")


def _first_matches(
    matches: CTE, sort: UserSort, after: Position | None, limit: int, name: str
) -> Subquery:
    """The first `limit` of `matches` after the cursor, in order: (tenant_id, id). The
    columns are named, not taken from `.c` (whose proxies cost ~1 ms)."""
    sort_key, match_id = MATCH_SORT_KEYS[sort_column(sort).key], MATCH_ID
    page = select(MATCH_TENANT_ID, match_id).select_from(matches)
    if after is not None:
        page = page.where(after_cursor(sort_key, match_id, sort, after))
    return page.order_by(*sort_order(sort_key, match_id, sort)).limit(limit).subquery(name)


def _listed(page_rows: Subquery, total: ColumnElement[Any], sort: UserSort) -> Select[Any]:
    """The users of `page_rows` (a subquery named "page"), in order, each with `total`."""
    order = sort_order(USERS[sort_column(sort).key], USERS.id, sort)
    return users_of_page(page_rows, order, total.label("total"))


def probed_query(
    walk: list[ColumnElement[bool]],
    collect: list[ColumnElement[bool]],
    sort: UserSort,
    after: Position | None,
    limit: int,
    span: int,
) -> Select[Any]:
    """Rows of (user, number of matches or NULL): the first `limit` matches within `span`
    entries of the sort order from the cursor (an index-only scan: the conditions the
    order's index carries are checked on its entries, the others on the rows of those
    that pass, by primary key), when a probe of the span's first `span // PROBE_SHARE`
    entries found at least the share of a page that the span needs and the span filled
    the page; otherwise the matches collected (`collect_query`) with their count. Each
    part a MATERIALIZED CTE, read only when the choice needs it (a CTE is computed on
    its first read; a branch whose one-time condition is false is never run)."""
    probe = _span_matches(walk, sort, after, span // PROBE_SHARE).cte("probe")
    probe = probe.prefix_with("MATERIALIZED")
    walked = _span_matches(walk, sort, after, span).limit(limit).cte("walked")
    walked = walked.prefix_with("MATERIALIZED")
    # Compared inside their SELECTs, on elements built once: an operator on a subquery
    # leaves it, and all it holds, in a reference cycle (test_probed_walks.py).
    enough, full = COUNT >= _probe_needs(limit), COUNT == limit  # noqa: SIM300 (not constants)
    probed = select(enough).select_from(probe).scalar_subquery()
    filled = select(full).select_from(walked).scalar_subquery()
    choice = (
        select(case((probed, filled), else_=false()).label("walks"))
        .cte("choice")
        .prefix_with("MATERIALIZED")
    )
    walks = select(WALKS).select_from(choice).scalar_subquery()
    collects = select(COLLECTS).select_from(choice).scalar_subquery()
    matches = _matches(collect, sort)
    collected_page = _first_matches(matches, sort, after, limit, "collected")
    page_rows = union_all(
        select(MATCH_TENANT_ID, MATCH_ID).select_from(walked).where(walks),
        select(COLLECTED_TENANT_ID, COLLECTED_ID).select_from(collected_page).where(collects),
    ).subquery("page")
    total = case((walks, null()), else_=select(func.count()).select_from(matches).scalar_subquery())
    return _listed(page_rows, total, sort)


def _probe_needs(limit: int) -> int:
    """How many matches the probe must find for the span to fill the page at their
    density: its share of a page."""
    return -(-limit // PROBE_SHARE)


def _columns_of(condition: ColumnElement[bool]) -> set[str]:
    return {c.key for c in iterate(condition) if isinstance(c, ColumnClause)}


def _on_alias(condition: ColumnElement[bool], row: FromClause) -> ColumnElement[bool]:
    """`condition` on the columns of `row` (an alias of `users`) instead of the table's."""
    return ClauseAdapter(row).traverse(condition)


def _span_matches(
    conditions: list[ColumnElement[bool]], sort: UserSort, after: Position | None, span: int
) -> Select[Any]:
    """The matches among the first `span` entries of the sort order from the cursor, in
    order: the span read index-only, the conditions its index carries evaluated on each
    entry (a column of the span, so the scan does not filter them away from its LIMIT),
    the others on the rows of the entries that pass (by primary key)."""
    key = USERS[sort_column(sort).key]
    tenant, *rest = conditions
    covered = COVERED_COLUMNS[sort.key]
    on_entry = [c for c in rest if _columns_of(c) <= covered]
    on_row = [c for c in rest if not _columns_of(c) <= covered]
    entries = select(USERS.tenant_id, USERS.id, key.label("sort_key"))
    if on_entry:
        entries = entries.add_columns(and_(*on_entry).label("passes"))
    entries = entries.where(tenant)
    if after is not None:
        entries = entries.where(after_cursor(key, USERS.id, sort, after))
    span_rows = entries.order_by(*sort_order(key, USERS.id, sort)).limit(span).subquery("span")
    tenant_id, user_id, sort_key = SPAN_TENANT_ID, SPAN_ID, SPAN_SORT_KEYS[key.key]
    found = select(
        tenant_id.label("tenant_id"), user_id.label("id"), sort_key.label("sort_key")
    ).select_from(span_rows)
    if on_entry:
        found = found.where(SPAN_PASSES)
    if on_row:
        found = found.join(
            MATCHED,
            and_(
                MATCHED_ROW.tenant_id == tenant_id,
                MATCHED_ROW.id == user_id,
                *(_on_alias(c, MATCHED) for c in on_row),
            ),
        )
    return found.order_by(*sort_order(sort_key, user_id, sort))
