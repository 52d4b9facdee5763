"""How a page of the list is read: collecting every match, or walking a sort index."""

import uuid
from dataclasses import replace

import pytest

from services.directory.db.user_search import (
    INDEX_ONLY_WALK_FROM,
    STRAY_COLLECT_MOST,
    WALK_BREAK_EVEN,
    Estimate,
    Listing,
    collects,
    collects_after_a_short_walk,
    index_walk_span,
    walk_may_stray,
    walk_reads_index_only,
    walk_span,
    walks_the_index_first,
)
from shared.contracts.user_filters import UserFilters, UserSort

EXACT_UP_TO = 20_000


def cheap(rows: int) -> Estimate:
    return Estimate(rows=rows, cost=float(rows))


@pytest.mark.parametrize(
    ("query", "sort", "strays"),
    [
        ([("q", "tremblay")], UserSort.NAME, True),
        ([("email", "tremblay")], UserSort.EMAIL_DESC, True),
        ([("q", "gagnon")], UserSort.CREATED, False),
        ([("q", "gagnon")], UserSort.LAST_LOGIN_DESC, False),
        ([("status", "active"), ("role", "admin")], UserSort.NAME, False),
    ],
)
def test_only_a_text_term_in_a_text_order_may_find_its_matches_far_along(
    query: list[tuple[str, str]], sort: UserSort, strays: bool
) -> None:
    assert walk_may_stray(UserFilters.from_query(query), sort) is strays


def test_up_to_the_exact_limit_and_the_walk_break_even_matches_are_collected() -> None:
    assert collects(cheap(WALK_BREAK_EVEN), EXACT_UP_TO)
    assert not collects(cheap(WALK_BREAK_EVEN + 1), EXACT_UP_TO)
    assert collects(cheap(3), 3)
    assert not collects(cheap(4), 3)


def test_where_a_walk_reads_only_the_index_it_is_tried_first_above_a_few_thousand() -> None:
    listing = Listing(uuid.uuid4(), UserFilters(), {}, UserSort.CREATED_DESC, None, 50)
    # "two groups + active + marie", newest first: 5,099 matches at 1 M users.
    assert walks_the_index_first(listing, cheap(5_224))
    assert walks_the_index_first(listing, cheap(INDEX_ONLY_WALK_FROM + 1))
    assert not walks_the_index_first(listing, cheap(INDEX_ONLY_WALK_FROM))
    by_email = replace(listing, sort=UserSort.EMAIL)
    assert not walks_the_index_first(by_email, cheap(5_224))


def test_the_index_walk_reads_twice_the_entries_a_spread_page_takes() -> None:
    assert index_walk_span(5_100, 1_000_000, 50) == 20_000
    assert index_walk_span(20_000, 10_000, 50) == 102  # the estimate above the rows


@pytest.mark.parametrize(
    ("sort", "fields", "index_only"),
    [
        (UserSort.CREATED_DESC, {}, True),
        (UserSort.CREATED, {}, True),
        (UserSort.CREATED_DESC, {uuid.uuid4(): "TI"}, False),  # custom fields: in the heap
        (UserSort.NAME_DESC, {}, True),
        (UserSort.EMAIL, {}, False),
        (UserSort.LAST_LOGIN_DESC, {}, False),
    ],
)
def test_the_creation_and_name_orders_walk_their_index_alone_without_custom_fields(
    sort: UserSort, fields: dict[uuid.UUID, str], index_only: bool
) -> None:
    filters = UserFilters.from_query([("status", "active")])
    listing = Listing(uuid.uuid4(), filters, fields, sort, None, 50)
    assert walk_reads_index_only(listing) is index_only


def test_a_costly_collection_is_walked_whatever_the_number_of_matches() -> None:
    costly = Estimate(rows=100, cost=3.0 * EXACT_UP_TO + 1)
    assert not collects(costly, EXACT_UP_TO)


def test_a_short_walk_reads_at_most_a_quarter_as_many_rows_as_collecting_would() -> None:
    # "exemple.ca" at 100 k users: 20,000 matches, a page within ~255 rows of the order.
    assert walk_span(20_000, 100_000, 50) == 5_000
    # "tremblay" at 1 M, in a database where it matched 20 % more: a quarter of them.
    assert walk_span(18_000, 1_000_000, 50) is None
    assert walk_span(24_000, 1_000_000, 50) == 6_000


def test_no_short_walk_where_the_page_would_take_more_than_half_the_span() -> None:
    # "tremblay" at 1 M users: 15,000 matches; spread, a page would take ~3,400 rows.
    assert walk_span(15_000, 1_000_000, 50) is None
    assert walk_span(20_400, 1_000_000, 50) == 5_100


def test_after_a_short_walk_found_no_page_matches_are_collected_up_to_a_bound() -> None:
    # "tremblay" by name: 940,000 rows of the order before the first of 15,000 matches.
    assert collects_after_a_short_walk(cheap(21_021))
    assert collects_after_a_short_walk(cheap(STRAY_COLLECT_MOST))
    assert not collects_after_a_short_walk(cheap(STRAY_COLLECT_MOST + 1))
    assert not collects_after_a_short_walk(Estimate(rows=100, cost=1e9))
