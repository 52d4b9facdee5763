"""Seeks: a text term's matches where they sit together in a text order, found without a
heap page for each (`seek_page`; chosen by `user_search._find`)."""

from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    bindparam,
    func,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy import column as sql_column
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnClause

from services.directory.db.list_pages import (
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
from services.directory.db.models import UserNamePieces
from services.directory.db.user_filters import sort_column
from services.directory.domain.listing import ListedUser, Position
from shared.contracts.user_filters import UserFilters, UserSort

NAME_PIECES = UserNamePieces.__table__.c

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


# One bound array for each tag but the term's initial: the term's pieces behind that tag.
OTHER_TAGS_PIECES = tuple(
    bindparam(f"elsewhere_{n}", type_=ARRAY(Text)) for n in range(len(NAME_INITIALS))
)


def _tagged_elsewhere() -> ColumnElement[bool]:
    trigrams = func.name_initial_trigrams(
        NAME_PIECES.sort_name, NAME_PIECES.search_text, type_=ARRAY(Text)
    )
    holding = or_(*(trigrams.contains(tag) for tag in OTHER_TAGS_PIECES))
    users = select(NAME_PIECES.tenant_id, NAME_PIECES.user_id).where(holding)
    return tuple_(USERS.tenant_id, USERS.id).in_(users)


# Users whose search text holds every three-letter piece of the term under any initial but
# the term's (values: `elsewhere_pieces`): one lookup per tag in `ix_user_name_pieces`, each
# list short or empty when the term is a family name under its initial. Built once: made
# for each request, its 26 conditions cost ~0.75 ms of CPU (building and the statement's
# cache key), a tenth of the seek's.
TAGGED_ELSEWHERE = _tagged_elsewhere()


def elsewhere_pieces(term: str, initial: str) -> dict[str, list[str]]:
    """The values of `TAGGED_ELSEWHERE` for `term` outside `initial`'s names."""
    pieces = sorted({term[i : i + TRIGRAM_LENGTH] for i in range(len(term) - TRIGRAM_LENGTH + 1)})
    tags = [tag for tag in (*NAME_INITIALS, OTHER_INITIAL) if tag != initial]
    return {
        param.key: [tag + piece for piece in pieces]
        for param, tag in zip(OTHER_TAGS_PIECES, tags, strict=True)
    }


_collation: dict[str, bool] = {}
DATABASE_COLLATION = text(
    "SELECT CASE WHEN datlocprovider = 'c' THEN datcollate END"
    " FROM pg_database WHERE datname = current_database()"
)


async def _initials_in_order(session: AsyncSession) -> bool:
    """Whether the database's collation keeps the names under an initial between it and
    the next letter (`INITIALS_IN_ORDER`; asked once a process)."""
    if "safe" not in _collation:
        found = (await execute(session, DATABASE_COLLATION)).scalar_one()
        _collation["safe"] = bool(found) and found.startswith(INITIALS_IN_ORDER)
    return _collation["safe"]


async def seek_page(
    session: AsyncSession, listing: Listing, expected: Estimate, now: datetime
) -> FoundPage | None:
    """In name order, a text term that is (mostly) the start of family names: its matches
    sit together in the name order, which a walk from the start reaches only after the
    names before them (940,000 rows for "tremblay"), and which collecting finds by reading
    a heap page for each (13,605 pages). Instead: the matches under every initial but the
    term's are looked up by their tagged pieces (`TAGGED_ELSEWHERE`: none or a few), and
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
    if int((await execute(session, count)).scalar_one()) < page:
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
    matches under the other initials (`TAGGED_ELSEWHERE`). None when there are more than
    `SEEK_ELSEWHERE_MOST` of those, or the walk did not fill a page (the page may go on
    past the names it read)."""
    initial, descending = term[0], listing.sort.descending
    after_initial, after_term = _next(initial), _next(term)
    name = USERS.sort_name
    low, high = (term, after_initial) if descending else (initial, after_term)
    walked = [*listing.conditions(now, for_walk=True), name >= low, name < high]
    elsewhere = [
        *listing.conditions(now),
        TAGGED_ELSEWHERE,
        or_(name < initial, name >= after_initial),
    ]
    query = seek_query(walked, elsewhere, listing.sort, listing.after, listing.limit + 1)
    rows = (await execute(session, query, elsewhere_pieces(term, initial))).all()
    if not rows or rows[0].walked <= listing.limit or rows[0].elsewhere > SEEK_ELSEWHERE_MOST:
        return None
    users = cast(list[ListedUser], rows[: listing.limit])
    return FoundPage(users, True, max(expected_rows, len(users)), False)


# The parts' columns, by name (built once: each ColumnClause made for a request, once
# compared, is a reference cycle of four objects left to the garbage collector).
PART_TENANT_ID = sql_column("tenant_id", USERS.tenant_id.type)
PART_ID = sql_column("id", USERS.id.type)


@cache
def _part_sort_key(sort_key: str) -> ColumnClause[Any]:
    return sql_column("sort_key", USERS[sort_key].type)


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
    order = sort_order(key, USERS.id, sort)
    walk = select(USERS.tenant_id, USERS.id, key.label("sort_key")).where(*walked)
    if after is not None:
        walk = walk.where(after_cursor(key, USERS.id, sort, after))
    walk_keys = walk.order_by(*order).limit(limit).cte("walked").prefix_with("MATERIALIZED")
    others = select(USERS.tenant_id, USERS.id, key.label("sort_key")).where(*elsewhere)
    found = others.limit(SEEK_ELSEWHERE_MOST + 1).cte("elsewhere").prefix_with("MATERIALIZED")
    tenant_id, match_id, sort_key = PART_TENANT_ID, PART_ID, _part_sort_key(key.key)
    candidates = select(tenant_id, match_id, sort_key).select_from(found)
    if after is not None:
        candidates = candidates.where(after_cursor(sort_key, match_id, sort, after))
    both = union_all(select(tenant_id, match_id, sort_key).select_from(walk_keys), candidates)
    # The union's columns by name: its `.c` proxies cost CPU and ~100 objects in reference
    # cycles a request, left to the garbage collector (a pause of 4-13 ms every ~120 seeks).
    page_rows = (
        select(tenant_id, match_id)
        .select_from(both.subquery("both_parts"))
        .order_by(*sort_order(sort_key, match_id, sort))
        .limit(limit)
        .subquery("page")
    )
    walked_count = select(func.count()).select_from(walk_keys).scalar_subquery()
    found_count = select(func.count()).select_from(found).scalar_subquery()
    return users_of_page(
        page_rows, order, walked_count.label("walked"), found_count.label("elsewhere")
    )
