"""How a page of the list is read: collecting every match, or walking a sort index."""

import pytest

from services.directory.db.list_pages import Estimate
from services.directory.db.user_search import (
    STRAY_COLLECT_MOST,
    WALK_BREAK_EVEN,
    collects,
    collects_after_a_short_walk,
    walk_may_stray,
    walk_span,
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
