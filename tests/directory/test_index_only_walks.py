"""By creation date or by name, a walk checks its filters in the order's index alone (its
index carries every filter's column but the custom fields): no heap page is read for a
row that does not match. And in last-login order a page that is
collected is read in one statement, not one per part (logged in, never)."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.api.cursors import user_cursor
from services.directory.db.list_pages import Explain
from services.directory.db.user_search import find_page, walk_query, walked_page
from tests.directory.list_plans import listing, nodes, statements
from tests.support.directory import Lms

FILTERS = [
    [("group", "00000000-0000-4000-8000-000000000001")],
    [("status", "invited"), ("role", "admin")],
    [("invitation", "expired")],
    [("invitation", "sent")],
    [("email_status", "bounced")],
    [("email", "tremblay")],
    [("email", "tr")],
    [("q", "tremblay")],
    [("q", "tr")],
    [("never_logged_in", "true")],
    [("never_logged_in", "false")],
    [("last_login_from", "2026-01-01T00:00:00Z")],
    [("created_from", "2026-01-01T00:00:00Z"), ("created_to", "2027-01-01T00:00:00Z")],
]


ORDER_INDEXES = {"created_at": "ix_users_created_filters", "name": "ix_users_sort_name_filters"}


@pytest.mark.parametrize("query", FILTERS)
@pytest.mark.parametrize("sort", ["-created_at", "created_at", "name", "-name"])
async def test_a_walk_by_creation_date_or_name_checks_its_filters_in_the_index_alone(
    lms: Lms, session: AsyncSession, query: list[tuple[str, str]], sort: str
) -> None:
    walked = await listing(session, lms, [*query, ("sort", sort)])
    conditions = walked.conditions(datetime.now(UTC), for_walk=True)
    # What the planner does with a LIMIT on a million rows, forced on a few: walk the index.
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        await session.execute(text(f"SET LOCAL {setting} = off"))
    statement = walk_query(conditions, walked.sort, walked.after, walked.limit + 1)
    raw = (await (await session.connection()).execute(Explain(statement))).scalar_one()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    index = ORDER_INDEXES[sort.lstrip("-")]
    walks = [n for n in nodes(plan) if n.get("Index Name") == index]
    assert "Index Only Scan" in [n["Node Type"] for n in walks], plan


async def test_a_walk_in_creation_order_pages_through_the_matches_in_order(
    lms: Lms, session: AsyncSession
) -> None:
    for i in range(5):
        await lms.invite(f"tremblay.{i}@example.com", first_name=f"P{i}", last_name="Tremblay")
        await lms.invite(f"gagnon.{i}@example.com", first_name=f"P{i}", last_name="Gagnon")
    seen: list[str] = []
    cursor: list[tuple[str, str]] = []
    while True:
        walked = await listing(
            session, lms, [("q", "tremblay"), ("sort", "-created_at"), ("limit", "2"), *cursor]
        )
        conditions = walked.conditions(datetime.now(UTC), for_walk=True)
        page = await walked_page(session, walked, conditions, expected=5)
        assert page is not None
        seen.extend(u.email for u in page.users)
        position = page.next_position(walked.sort)
        if position is None:
            break
        cursor = [("cursor", str(user_cursor(walked.sort, position)))]
    assert seen == [f"tremblay.{i}@example.com" for i in reversed(range(5))]


async def test_in_last_login_order_a_collected_page_is_one_statement_over_both_parts(
    lms: Lms, session: AsyncSession
) -> None:
    # Two Tremblays log in, three never do: descending, the logged-in ones come first.
    logged_in = []
    for i in range(5):
        fields = {"email": f"tremblay.{i}@example.com", "first_name": f"P{i}"}
        if i < 2:
            profile, client = await lms.learner(**fields, last_name="Tremblay")
            await client.aclose()
            logged_in.append(profile["email"])
        else:
            await lms.invite(**fields, last_name="Tremblay")
    listed = await listing(session, lms, [("q", "tremblay"), ("sort", "-last_login_at")])
    with statements(session) as sent:
        page = await find_page(session, listed, 20_000, datetime.now(UTC))
    emails = [u.email for u in page.users]
    assert emails[:2] == list(reversed(logged_in))
    assert sorted(emails[2:]) == [f"tremblay.{i}@example.com" for i in range(2, 5)]
    assert (page.total, page.total_is_exact, page.has_more) == (5, True, False)
    pages = [s for s, _ in sent if not s.startswith("EXPLAIN")]
    assert len(pages) == 1, sent
