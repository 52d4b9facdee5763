"""How a page of the list is read: collecting every match, or walking a sort index."""

import pytest

from services.directory.db.user_search import (
    STRAY_MARGIN,
    WALK_BREAK_EVEN,
    Estimate,
    collects,
    walk_may_stray,
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


def test_where_a_walk_may_stray_matches_are_collected_past_the_exact_limit() -> None:
    # A guess just above the exact limit ("tremblay": 21,021 for 14,761) must not walk the
    # whole name order.
    assert collects(cheap(EXACT_UP_TO + 1_021), EXACT_UP_TO, walk_may_stray=True)
    most = round(EXACT_UP_TO * STRAY_MARGIN)
    assert collects(cheap(most), EXACT_UP_TO, walk_may_stray=True)
    assert not collects(cheap(most + 1), EXACT_UP_TO, walk_may_stray=True)


def test_elsewhere_a_walk_is_taken_once_it_is_the_cheaper() -> None:
    assert collects(cheap(WALK_BREAK_EVEN), EXACT_UP_TO, walk_may_stray=False)
    assert not collects(cheap(WALK_BREAK_EVEN + 1), EXACT_UP_TO, walk_may_stray=False)


def test_a_costly_collection_is_walked_whatever_the_number_of_matches() -> None:
    costly = Estimate(rows=100, cost=3.0 * EXACT_UP_TO + 1)
    assert not collects(costly, EXACT_UP_TO, walk_may_stray=False)
    costlier = Estimate(rows=100, cost=3.0 * EXACT_UP_TO * STRAY_MARGIN + 1)
    assert not collects(costlier, EXACT_UP_TO, walk_may_stray=True)
