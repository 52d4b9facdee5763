"""A mix the list would collect is walked first where the planner expects a page within a
few entries per match (`probed_walk_span`): a probe of the span's first part decides, in
the same statement, whether the walk goes on (index-only, at most the span) or the
matches are collected. Pages equal `ORDER BY created_at DESC, id DESC` either way; a
condition the order's index does not carry (a custom field) is checked on the row."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db.list_pages import FoundPage, Listing
from services.directory.db.models import User
from services.directory.db.user_search import (
    PROBE_SHARE,
    _probed_page,
    collect_query,
    probed_query,
    probed_walk_span,
)
from shared.contracts.user_filters import UserSort
from tests.directory.list_plans import (
    left_in_reference_cycles,
    listing,
    nodes,
    plan_as_run,
    statements,
)
from tests.support.directory import Lms

MIX = [("q", "tremblay"), ("field.department", "TI"), ("sort", "-created_at"), ("limit", "2")]


async def users_in_creation_order(lms: Lms, names: list[tuple[str, str]]) -> None:
    """Invited one after the other (each created after the one before): last name and
    department."""
    response = await lms.admin.post(
        "/api/v1/custom-fields", json={"key": "department", "label": "Dept", "type": "text"}
    )
    assert response.status_code == 201, response.text
    for i, (last, department) in enumerate(names):
        await lms.invite(
            f"{last.lower()}.{i}@example.com",
            first_name=f"P{i}",
            last_name=last,
            custom_fields={"department": department},
        )


async def in_order(session: AsyncSession, listed: Listing) -> list[str]:
    """Every match, newest first, as plain SQL orders them."""
    conditions = listed.conditions(datetime.now(UTC))
    query = select(User.email).where(*conditions)
    ordered = query.order_by(User.created_at.desc(), User.id.desc())
    return list((await session.execute(ordered)).scalars())


async def probed(session: AsyncSession, listed: Listing, span: int) -> FoundPage:
    return await _probed_page(session, listed, span, 1_000, 20_000, datetime.now(UTC))


async def all_pages(session: AsyncSession, lms: Lms, span: int) -> list[FoundPage]:
    pages: list[FoundPage] = []
    listed = await listing(session, lms, MIX)
    while True:
        pages.append(await probed(session, listed, span))
        position = pages[-1].next_position(listed.sort)
        if position is None:
            return pages
        listed = Listing(
            listed.tenant_id, listed.filters, listed.field_values, listed.sort, position, 2
        )


# Newest last: Tremblays of TI among Gagnons, and a Tremblay of RH (not a match).
DENSE = [
    ("Tremblay", "TI"),
    ("Gagnon", "TI"),
    ("Tremblay", "RH"),
    ("Tremblay", "TI"),
    ("Gagnon", "TI"),
    ("Tremblay", "TI"),
    ("Tremblay", "TI"),
    ("Gagnon", "TI"),
    ("Tremblay", "TI"),
]


async def test_where_the_probe_finds_matches_the_page_is_walked_within_the_span(
    lms: Lms, session: AsyncSession
) -> None:
    await users_in_creation_order(lms, DENSE)
    listed = await listing(session, lms, MIX)
    page = await probed(session, listed, span=16)  # a probe of the 2 newest: 1 match
    assert [u.email for u in page.users] == (await in_order(session, listed))[:2]
    assert [u.email for u in page.users] == ["tremblay.8@example.com", "tremblay.6@example.com"]
    assert (page.has_more, page.total, page.total_is_exact) == (True, 1_000, False)


async def test_where_the_probe_finds_too_few_the_matches_are_collected_and_counted(
    lms: Lms, session: AsyncSession
) -> None:
    await users_in_creation_order(lms, [*DENSE, ("Gagnon", "TI"), ("Gagnon", "TI")])
    listed = await listing(session, lms, MIX)
    page = await probed(session, listed, span=16)  # the 2 newest: no match
    assert [u.email for u in page.users] == ["tremblay.8@example.com", "tremblay.6@example.com"]
    assert (page.has_more, page.total, page.total_is_exact) == (True, 5, True)


async def test_a_span_too_short_for_the_page_is_collected(lms: Lms, session: AsyncSession) -> None:
    # Newest first: a match, eight Gagnons, two matches.
    sparse_after_one = [("Tremblay", "TI")] * 2 + [("Gagnon", "TI")] * 8 + [("Tremblay", "TI")]
    await users_in_creation_order(lms, sparse_after_one)
    listed = await listing(session, lms, MIX)
    newest = ["tremblay.10@example.com", "tremblay.1@example.com"]
    page = await probed(session, listed, span=PROBE_SHARE)  # 1 entry probed (a match), 8 walked
    assert [u.email for u in page.users] == newest
    assert (page.total, page.total_is_exact) == (3, True)
    walked = await probed(session, listed, span=2 * PROBE_SHARE)  # the 11 entries a page takes
    assert [u.email for u in walked.users] == newest
    assert (walked.total, walked.total_is_exact) == (1_000, False)


async def test_pages_follow_one_another_as_the_order_has_them(
    lms: Lms, session: AsyncSession
) -> None:
    await users_in_creation_order(lms, DENSE)
    expected = await in_order(session, await listing(session, lms, MIX))
    for span in (2 * PROBE_SHARE, 100):
        pages = await all_pages(session, lms, span)
        assert [u.email for p in pages for u in p.users] == expected, span
    assert len(expected) == 5


async def explain_analyze(session: AsyncSession, listed: Listing, span: int) -> dict[str, Any]:
    """The plan of the probed page's statement, as run (EXPLAIN ANALYZE)."""
    turned_off = ("enable_seqscan", "enable_bitmapscan", "enable_sort")
    for setting in turned_off:  # before the page, as the plan below is run with them
        await session.execute(text(f"SET LOCAL {setting} = off"))
    with statements(session) as sent:
        await probed(session, listed, span)
    statement, *_ = sent
    return await plan_as_run(session, statement, turned_off=turned_off)


def scans(plan: dict[str, Any], index: str) -> list[dict[str, Any]]:
    return [n for n in nodes(plan) if n.get("Index Name") == index]


def cte(plan: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [n for n in nodes(plan) if n.get("Subplan Name") == f"CTE {name}"]
    return found


async def test_a_walked_page_reads_the_span_index_only_and_never_the_matches(
    lms: Lms, session: AsyncSession
) -> None:
    await users_in_creation_order(lms, DENSE)
    plan = await explain_analyze(session, await listing(session, lms, MIX), span=16)
    # The walk reads 4 entries (down to the third match), not the span's 16.
    walks = scans(cte(plan, "walked"), "ix_users_created_filters")
    assert [(n["Node Type"], n["Actual Rows"]) for n in walks] == [("Index Only Scan", 4)], plan
    probe = scans(cte(plan, "probe"), "ix_users_created_filters")
    assert [(n["Node Type"], n["Actual Rows"]) for n in probe] == [("Index Only Scan", 2)], plan
    assert cte(plan, "matches")["Actual Loops"] == 0, plan


async def test_a_collected_page_does_not_walk_past_the_probe(
    lms: Lms, session: AsyncSession
) -> None:
    await users_in_creation_order(lms, [*DENSE, ("Gagnon", "TI"), ("Gagnon", "TI")])
    plan = await explain_analyze(session, await listing(session, lms, MIX), span=16)
    assert cte(plan, "probe")["Actual Loops"] == 1, plan
    assert cte(plan, "walked")["Actual Loops"] == 0, plan
    assert cte(plan, "matches")["Actual Loops"] == 1, plan


def test_the_walk_is_tried_where_a_page_is_expected_within_a_few_entries_a_match() -> None:
    # "two groups+active+q=marie" newest first, at 1 M: 4,977 expected, a page ~10,000
    # entries along if spread: walked within twice that.
    assert probed_walk_span(4_977, 1_000_000, 50) == 2 * (51 * 1_000_000 // 4_977)
    assert probed_walk_span(2_949, 1_000_000, 50) == 2 * (51 * 1_000_000 // 2_949)
    # "invitation=failed": 2,233 expected, a page ~22,800 entries along: collected.
    assert probed_walk_span(2_233, 1_000_000, 50) is None
    assert probed_walk_span(500, 100_000, 50) is None
    assert probed_walk_span(1_000, 100_000, 50) == 2 * 5_100


@pytest.mark.parametrize("sort", [UserSort.NAME, UserSort.CREATED_DESC])
def test_a_probed_statement_leaves_no_reference_cycles(sort: UserSort) -> None:
    """A probed page's ~200 objects left for the collector made it run far more often."""
    users = User.__table__.c
    mix = [users.tenant_id == uuid.uuid4(), users.status == "active", users.role == "learner"]
    assert left_in_reference_cycles(lambda: probed_query(mix, mix, sort, None, 51, 400)) == []
    assert left_in_reference_cycles(lambda: collect_query(mix, sort, None, 51)) == []
