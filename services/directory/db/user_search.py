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
  pieces (`ix_user_name_pieces`); the page is the two merged, the total an estimate.

Left to itself, the planner walks whenever it expects the page to fill early, and reads
the whole index when the matches all sit at the far end of the order (a search for
"tremblay" sorted by name: 940,000 rows before the first match). In last-login order,
those who never logged in sit together at one end, so that order is read in two parts.
Pages are never read with OFFSET.
"""

import json
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Executable,
    Select,
    Text,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy import column as sql_column
from sqlalchemy.dialects.postgresql import ARRAY, JSON, aggregate_order_by
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, ColumnClause
from sqlalchemy.sql.selectable import FromClause
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import InternalTraversal, iterate

from services.directory.db.custom_fields import FIELD_COLUMNS
from services.directory.db.models import (
    ORDER_INDEX_COVERS,
    CustomField,
    Group,
    User,
    UserGroup,
    UserNamePieces,
)
from services.directory.db.user_filters import by_last_login, conditions_for, sort_column
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
# Only a collect through the filters' GIN is probed: it pays for every condition's posting
# list, however long (the 800,000 active users: 14 ms of "two groups+active+q=marie"'s
# 20), before a heap page per match. Where the planner collects through a btree (an
# invitation's state and expiry: "sent, not expired", "failed"), it reads just the
# matches, in 2-3 ms, and its estimate may be five times too many (913 real of 5,145).
FILTERS_GIN = "ix_users_filters"
# The tags of `ix_user_name_pieces` (migration 0011): the sort name's initial when it is
# one of these letters, else "~". A term's matches under every initial but its own are
# looked up by naming the other tags.
NAME_INITIALS = "abcdefghijklmnopqrstuvwxyz"
OTHER_INITIAL = "~"
TRIGRAM_LENGTH = 3
# A seek walks the name index from the term's initial to the end of the names that start
# with the term (index-only, ~0.3 us an entry): at most this many entries before them
# ("t" to "tremblay" at 1 M users: 14,700, 4-5 ms).
SEEK_SKIP_MOST = 60_000
# A seek is tried from this many expected matches (fewer are collected in a few ms), also
# below the collect's limit: the planner's guess for "tremblay" (14,761) ranged from 11,011
# to 21,021 from one ANALYZE to the next, on both sides of `WALK_BREAK_EVEN`.
SEEK_FROM = 5_000
# A seek gives up (the list collects as before) when more matches than this sit under the
# other initials ("martin": a family name and a first name): gathering them would cost
# what collecting them all does.
SEEK_ELSEWHERE_MOST = 1_000
# Collations (glibc's, of the database) where the names under an initial all sort between
# it and the next letter (no contraction such as Danish "aa" after "z"): code-point order,
# English and French.
INITIALS_IN_ORDER = ("C", "POSIX", "ucs_basic", "en_", "fr_")
Column = ColumnElement[Any] | InstrumentedAttribute[Any]


# The list's statements name the tables' columns, not the ORM's attributes: SQLAlchemy
# builds a cache key of every statement it runs, and for 31 ORM columns that cost more CPU
# than PostgreSQL spends on many a page.
USERS, GROUPS_TABLE, USER_GROUPS = User.__table__.c, Group.__table__.c, UserGroup.__table__.c
NAME_PIECES = UserNamePieces.__table__.c

# What the list shows of a user, and the sort keys its cursors hold: read as plain rows
# (no ORM object per user), without the search text, password hash or deactivation details.
LISTED_COLUMNS: tuple[ColumnElement[Any], ...] = tuple(
    USERS[name]
    for name in (
        "id",
        "email",
        "first_name",
        "last_name",
        "phone",
        "locale",
        "role",
        "status",
        "custom_fields",
        "invitation_state",
        "invitation_requested_at",
        "invitation_first_sent_at",
        "invitation_last_sent_at",
        "invitation_expires_at",
        "invitation_send_count",
        "invitation_resend_count",
        "invitation_accepted_at",
        "invitation_failure_reason",
        "email_state",
        "email_bounce_kind",
        "email_state_reason",
        "email_state_changed_at",
        "email_delivered_at",
        "last_login_at",
        "created_at",
        "updated_at",
        "version",
        "sort_name",
        "email_normalized",
        "last_login_sort",
    )
)
# A user's groups by name, as the list shows them ([{"id", "name"}], NULL for none). In
# the select list, PostgreSQL evaluates it after the ORDER BY ... LIMIT: for the page only.
GROUPS = (
    select(
        func.json_agg(
            aggregate_order_by(
                func.json_build_object("id", GROUPS_TABLE.id, "name", GROUPS_TABLE.name),
                func.lower(GROUPS_TABLE.name),
            ),
            type_=JSON,
        )
    )
    .select_from(UserGroup.__table__)
    .join(
        Group.__table__,
        (GROUPS_TABLE.tenant_id == USER_GROUPS.tenant_id)
        & (GROUPS_TABLE.id == USER_GROUPS.group_id),
    )
    .where(USER_GROUPS.tenant_id == USERS.tenant_id, USER_GROUPS.user_id == USERS.id)
    .correlate(User.__table__)
    .scalar_subquery()
    .label("groups")
)


@dataclass(frozen=True)
class FoundPage:
    users: Sequence[ListedUser]
    has_more: bool
    total: int
    total_is_exact: bool

    def next_position(self, sort: UserSort) -> Position | None:
        """Where the next page starts; None on the last page."""
        if not self.users or not self.has_more:
            return None
        last = self.users[-1]
        return Position(getattr(last, sort_column(sort).key), last.id)


async def _execute(
    session: AsyncSession, statement: Executable, values: Mapping[str, Any] | None = None
) -> Result[Any]:
    """On the session's connection: the list reads rows, not ORM objects, and skips the
    session's ORM bookkeeping (a third of the CPU a page statement costs through it)."""
    return await (await session.connection()).execute(statement, values)


# --- the planner's estimate -----------------------------------------------------------------


class Explain(Executable, ClauseElement):
    """`EXPLAIN (FORMAT JSON) <query>`, bound like the query itself would be; its SQL
    compiled once per shape of query, like any statement's (cached by the query's key)."""

    inherit_cache = True
    _traverse_internals = [("query", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, query: Select[Any]) -> None:
        self.query = query

    @property
    def _all_selected_columns(self) -> tuple[()]:
        """Its one column is the plan, read by position (what a cached compilation asks)."""
        return ()


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return f"EXPLAIN (FORMAT JSON) {compiler.process(element.query, **kw)}"


@dataclass(frozen=True)
class Estimate:
    rows: int  # how many rows the planner expects
    cost: float  # what it expects reading them all to cost, in its units
    # Whether its plan reads the filters' GIN (`ix_users_filters`), rather than a btree.
    through_filters_gin: bool = False


async def planner_estimate(session: AsyncSession, query: Select[Any]) -> Estimate:
    """The planner's expectation for `query` (its statistics, not a count)."""
    plan = (await _execute(session, Explain(query))).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    top = plan[0]["Plan"]
    gin = FILTERS_GIN in (node.get("Index Name") for node in _plan_nodes(top))
    return Estimate(
        rows=int(top["Plan Rows"]), cost=float(top["Total Cost"]), through_filters_gin=gin
    )


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


# --- pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """What a page of the list is asked for."""

    tenant_id: uuid.UUID
    filters: UserFilters
    field_values: Mapping[uuid.UUID, Any]  # the custom-field filters, cleaned, by field id
    sort: UserSort
    after: Position | None
    limit: int

    def conditions(self, now: datetime, *, for_walk: bool = False) -> list[ColumnElement[bool]]:
        return conditions_for(
            self.tenant_id, self.filters, self.field_values, now, self.sort, for_walk=for_walk
        )


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
    rows = (await _execute(session, FIELDS_AND_SETTINGS, {"tenant_id": tenant_id})).all()
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
        seeked = await seek_page(session, listing, expected, now)
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


# --- seeks: a text term's names walked from their initial -----------------------------------


def seek_term(filters: UserFilters) -> str | None:
    """The text term a seek goes by: the longest of three letters or more that starts with
    a letter a-z (a family name more often than not), if any."""
    email = filters.email_contains
    terms = [*filters.search_terms, *([email.lower()] if email else [])]
    usable = [t for t in terms if len(t) >= TRIGRAM_LENGTH and t[0] in NAME_INITIALS]
    return max(usable, key=len, default=None)


def _next(value: str) -> str:
    """The first string after every string that starts with `value` (code-point order)."""
    return value[:-1] + chr(ord(value[-1]) + 1)


def tagged_elsewhere(term: str, initial: str) -> ColumnElement[bool]:
    """Users whose search text holds every three-letter piece of `term`, under any initial
    but `initial`: one lookup per tag in `ix_user_name_pieces`, each list short or empty
    when the term is a family name under `initial`."""
    pieces = {term[i : i + TRIGRAM_LENGTH] for i in range(len(term) - TRIGRAM_LENGTH + 1)}
    trigrams = func.name_initial_trigrams(
        NAME_PIECES.sort_name, NAME_PIECES.search_text, type_=ARRAY(Text)
    )
    holding = or_(
        *(
            trigrams.contains(sql_cast(sorted(tag + piece for piece in pieces), ARRAY(Text)))
            for tag in (*NAME_INITIALS, OTHER_INITIAL)
            if tag != initial
        )
    )
    users = select(NAME_PIECES.tenant_id, NAME_PIECES.user_id).where(holding)
    return tuple_(USERS.tenant_id, USERS.id).in_(users)


_collation: dict[str, bool] = {}
DATABASE_COLLATION = text(
    "SELECT CASE WHEN datlocprovider = 'c' THEN datcollate END"
    " FROM pg_database WHERE datname = current_database()"
)


async def _initials_in_order(session: AsyncSession) -> bool:
    """Whether the database's collation keeps the names under an initial between it and
    the next letter (`INITIALS_IN_ORDER`; asked once a process)."""
    if "safe" not in _collation:
        found = (await _execute(session, DATABASE_COLLATION)).scalar_one()
        _collation["safe"] = bool(found) and found.startswith(INITIALS_IN_ORDER)
    return _collation["safe"]


async def seek_page(
    session: AsyncSession, listing: Listing, expected: Estimate, now: datetime
) -> FoundPage | None:
    """In name order, a text term that is (mostly) the start of family names: its matches
    sit together in the name order, which a walk from the start reaches only after the
    names before them (940,000 rows for "tremblay"), and which collecting finds by reading
    a heap page for each (13,605 pages). Instead: the matches under every initial but the
    term's are looked up by their tagged pieces (`tagged_elsewhere`: none or a few), and
    the term's initial is walked index-only from its first name up to the end of the names
    that start with the term (from its last name, descending). The page is the two merged;
    the total, the planner's estimate. None where the seek does not apply (another order,
    no such term, a collation that may sort names away from their initial) or the walk found no page
    (the list then goes on as before)."""
    term = seek_term(listing.filters)
    if (
        term is None
        or listing.sort.key != UserSort.NAME.key
        or not await _initials_in_order(session)
        or not await _names_start_with(session, listing, term)
    ):
        return None
    return await seeked_page(session, listing, term, expected.rows, now)


async def _names_start_with(session: AsyncSession, listing: Listing, term: str) -> bool:
    """Whether a page of the tenant's names start with `term` (at most a page of entries of
    the name index), after at most about `SEEK_SKIP_MOST` names under its initial (the
    planner's estimate: one EXPLAIN)."""
    name, tenant = USERS.sort_name, USERS.tenant_id == listing.tenant_id
    initial, after_term = term[0], _next(term)
    page = listing.limit + 1
    names = select(USERS.id).where(tenant, name >= term, name < after_term).limit(page)
    count = select(func.count()).select_from(names.subquery("names"))
    if int((await _execute(session, count)).scalar_one()) < page:
        return False
    low, high = (after_term, _next(initial)) if listing.sort.descending else (initial, term)
    skipped = select(USERS.id).where(tenant, name >= low, name < high)
    return (await planner_estimate(session, skipped)).rows <= SEEK_SKIP_MOST


async def seeked_page(
    session: AsyncSession, listing: Listing, term: str, expected_rows: int, now: datetime
) -> FoundPage | None:
    """The page of a seek (`seek_page`), in one statement (`seek_query`): the walk of the
    term's initial from its first name to the last that starts with the term (descending:
    from its last name to the first that does), merged in the database's order with the
    matches under the other initials. None when there are more than `SEEK_ELSEWHERE_MOST`
    of those, or the walk did not fill a page (the page may go on past the names it
    read)."""
    initial, descending = term[0], listing.sort.descending
    after_initial, after_term = _next(initial), _next(term)
    name = USERS.sort_name
    low, high = (term, after_initial) if descending else (initial, after_term)
    walked = [*listing.conditions(now, for_walk=True), name >= low, name < high]
    elsewhere = [
        *listing.conditions(now),
        tagged_elsewhere(term, initial),
        or_(name < initial, name >= after_initial),
    ]
    query = seek_query(walked, elsewhere, listing.sort, listing.after, listing.limit + 1)
    rows = (await _execute(session, query)).all()
    if not rows or rows[0].walked <= listing.limit or rows[0].elsewhere > SEEK_ELSEWHERE_MOST:
        return None
    users = cast(list[ListedUser], rows[: listing.limit])
    return FoundPage(users, True, max(expected_rows, len(users)), False)


def seek_query(
    walked: list[ColumnElement[bool]],
    elsewhere: list[ColumnElement[bool]],
    sort: UserSort,
    after: Position | None,
    limit: int,
) -> Select[Any]:
    """Rows of (user, how many keys the walk gave, how many matched elsewhere): the walk's
    first `limit` keys in sort order (an index-only scan of the name index, bounded by its
    conditions' range) and at most `SEEK_ELSEWHERE_MOST` + 1 matches elsewhere, each in a
    MATERIALIZED CTE (planned on its own: a walk, a lookup), the page their first `limit`
    in the database's own order."""
    key = USERS[sort_column(sort).key]
    order = _order(key, USERS.id, sort)
    walk = select(USERS.tenant_id, USERS.id, key.label("sort_key")).where(*walked)
    if after is not None:
        walk = walk.where(_after(key, USERS.id, sort, after))
    walk_keys = walk.order_by(*order).limit(limit).cte("walked").prefix_with("MATERIALIZED")
    others = select(USERS.tenant_id, USERS.id, key.label("sort_key")).where(*elsewhere)
    found = others.limit(SEEK_ELSEWHERE_MOST + 1).cte("elsewhere").prefix_with("MATERIALIZED")
    tenant_id, sort_key = (
        sql_column("tenant_id", USERS.tenant_id.type),
        sql_column("sort_key", key.type),
    )
    match_id = sql_column("id", USERS.id.type)
    candidates = select(tenant_id, match_id, sort_key).select_from(found)
    if after is not None:
        candidates = candidates.where(_after(sort_key, match_id, sort, after))
    both = union_all(select(tenant_id, match_id, sort_key).select_from(walk_keys), candidates)
    parts = both.subquery("both_parts")
    page_rows = (
        select(parts.c.tenant_id, parts.c.id)
        .order_by(*_order(parts.c.sort_key, parts.c.id, sort))
        .limit(limit)
        .subquery("page")
    )
    on_page = and_(
        USERS.tenant_id == literal_column("page.tenant_id"), USERS.id == literal_column("page.id")
    )
    walked_count = select(func.count()).select_from(walk_keys).scalar_subquery()
    found_count = select(func.count()).select_from(found).scalar_subquery()
    return (
        LISTED.add_columns(walked_count.label("walked"), found_count.label("elsewhere"))
        .join(page_rows, on_page)
        .order_by(*order)
    )


async def _collected_page(
    session: AsyncSession,
    listing: Listing,
    conditions: list[ColumnElement[bool]],
    exact_up_to: int,
) -> FoundPage:
    query = collect_query(conditions, listing.sort, listing.after, listing.limit + 1)
    rows = (await _execute(session, query)).all()
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
        total = (await _execute(session, count)).scalar_one()
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
    rows = (await _execute(session, query)).all()
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
    rows = cast(list[ListedUser], (await _execute(session, query)).all())
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
    order = _order(column, USERS.id, listing.sort)
    span_rows = select(column, USERS.id).where(tenant)
    if listing.after is not None:
        span_rows = span_rows.where(_after(column, USERS.id, listing.sort, listing.after))
    last_of_span = span_rows.order_by(*order).offset(span - 1).limit(1)
    reverse = _order(column, USERS.id, _reversed(listing.sort))
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
# The page's select list, built once: coercing 31 columns cost more CPU per request than
# PostgreSQL spends on many a page. Each query adds its conditions to a copy.
LISTED = select(*LISTED_COLUMNS, GROUPS)


def walk_query(
    conditions: list[ColumnElement[bool]], sort: UserSort, after: Position | None, limit: int
) -> Select[Any]:
    """Users in sort order from the cursor, as the planner reads them best with a LIMIT:
    along the sort index when many match. In an order whose index carries the filters'
    columns, the page's keys are found first (an index-only scan: no heap page for a row
    that does not match), then its rows are read."""
    column = USERS[sort_column(sort).key]
    order = _order(column, USERS.id, sort)
    if sort.key not in COVERING_ORDERS:
        query = LISTED.where(*conditions)
        if after is not None:
            query = query.where(_after(column, USERS.id, sort, after))
        return query.order_by(*order).limit(limit)
    keys = select(USERS.tenant_id, USERS.id).where(*conditions)
    if after is not None:
        keys = keys.where(_after(column, USERS.id, sort, after))
    page_rows = keys.order_by(*order).limit(limit).subquery("page")
    on_page = and_(
        USERS.tenant_id == literal_column("page.tenant_id"), USERS.id == literal_column("page.id")
    )
    return LISTED.join(page_rows, on_page).order_by(*order)


def collect_query(
    conditions: list[ColumnElement[bool]], sort: UserSort, after: Position | None, limit: int
) -> Select[Any]:
    """Rows of (user, number of matches). MATERIALIZED keeps the planner from pushing the
    ORDER BY ... LIMIT into the matches, which would turn this back into a walk. The CTE's
    and the page's columns are named, not taken from `.c` (whose proxies cost ~1 ms)."""
    key = USERS[sort_column(sort).key]
    matches = (
        select(USERS.tenant_id, USERS.id, key.label("sort_key"))
        .where(*conditions)
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )
    sort_key, match_id = sql_column("sort_key", key.type), sql_column("id", USERS.id.type)
    page = select(sql_column("tenant_id"), match_id).select_from(matches)
    if after is not None:
        page = page.where(_after(sort_key, match_id, sort, after))
    page_rows = page.order_by(*_order(sort_key, match_id, sort)).limit(limit).subquery("page")
    total = select(func.count()).select_from(matches).scalar_subquery()
    on_page = and_(
        USERS.tenant_id == literal_column("page.tenant_id"), USERS.id == literal_column("page.id")
    )
    return (
        LISTED.add_columns(total.label("total"))
        .join(page_rows, on_page)
        .order_by(*_order(key, USERS.id, sort))
    )


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
    key = USERS[sort_column(sort).key]
    probe = _span_matches(walk, sort, after, span // PROBE_SHARE).cte("probe")
    probe = probe.prefix_with("MATERIALIZED")
    walked = _span_matches(walk, sort, after, span).limit(limit).cte("walked")
    walked = walked.prefix_with("MATERIALIZED")
    probed = select(func.count()).select_from(probe)
    filled = select(func.count()).select_from(walked)
    needed = _probe_needs(limit)
    choice = (
        select(
            case(
                (probed.scalar_subquery() >= needed, filled.scalar_subquery() == limit),
                else_=false(),
            ).label("walks")
        )
        .cte("choice")
        .prefix_with("MATERIALIZED")
    )
    walks = select(sql_column("walks", Boolean())).select_from(choice).scalar_subquery()
    matches = (
        select(USERS.tenant_id, USERS.id, key.label("sort_key"))
        .where(*collect)
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )
    sort_key, match_id = sql_column("sort_key", key.type), sql_column("id", USERS.id.type)
    collected = select(sql_column("tenant_id"), match_id, sort_key).select_from(matches)
    if after is not None:
        collected = collected.where(_after(sort_key, match_id, sort, after))
    collected_page = (
        collected.order_by(*_order(sort_key, match_id, sort)).limit(limit).subquery("collected")
    )
    page_rows = union_all(
        select(sql_column("tenant_id"), match_id).select_from(walked).where(walks),
        select(literal_column("collected.tenant_id"), literal_column("collected.id"))
        .select_from(collected_page)
        .where(~walks),
    ).subquery("page")
    total = case((walks, null()), else_=select(func.count()).select_from(matches).scalar_subquery())
    on_page = and_(
        USERS.tenant_id == literal_column("page.tenant_id"), USERS.id == literal_column("page.id")
    )
    return (
        LISTED.add_columns(total.label("total"))
        .join(page_rows, on_page)
        .order_by(*_order(key, USERS.id, sort))
    )


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
        entries = entries.where(_after(key, USERS.id, sort, after))
    span_rows = entries.order_by(*_order(key, USERS.id, sort)).limit(span).subquery("span")
    # Named, not taken from `.c` (whose proxies cost more than the rest of the statement).
    tenant_id = literal_column("span.tenant_id", USERS.tenant_id.type)
    user_id = literal_column("span.id", USERS.id.type)
    sort_key = literal_column("span.sort_key", key.type)
    found = select(
        tenant_id.label("tenant_id"), user_id.label("id"), sort_key.label("sort_key")
    ).select_from(span_rows)
    if on_entry:
        found = found.where(literal_column("span.passes", Boolean()))
    if on_row:
        found = found.join(
            MATCHED,
            and_(
                MATCHED_ROW.tenant_id == tenant_id,
                MATCHED_ROW.id == user_id,
                *(_on_alias(c, MATCHED) for c in on_row),
            ),
        )
    return found.order_by(*_order(sort_key, user_id, sort))


def _after(key: Column, user_id: Column, sort: UserSort, after: Position) -> ColumnElement[bool]:
    row, last = tuple_(key, user_id), tuple_(after.sort_value, after.user_id)
    return row < last if sort.descending else row > last


def _order(key: Column, user_id: Column, sort: UserSort) -> tuple[ColumnElement[Any], ...]:
    return (key.desc(), user_id.desc()) if sort.descending else (key.asc(), user_id.asc())
