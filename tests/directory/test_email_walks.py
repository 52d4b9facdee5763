"""A text search in e-mail order walks the side table's e-mail index
(`ix_user_name_pieces_email`, which holds each address's search text) index-only, and reads
`users` only for the page's rows, instead of a heap page for every match (collected) or
for every address passed (a walk of `uq_users_email`). The pages must be those of the whole
list, in order."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.api.cursors import user_cursor
from services.directory.db import email_walk, user_search
from services.directory.db.email_walk import email_walk_page, walks_text_in_email_order
from services.directory.db.list_pages import Estimate, FoundPage, Listing
from shared.contracts.user_filters import UserFilters, UserSort
from tests.directory.list_plans import listing, nodes, plan_as_run, statements
from tests.support.directory import Lms

Query = list[tuple[str, str]]


async def seed(lms: Lms) -> None:
    """In e-mail order: bunches of matches ("tremblay" in the address, or in the name only)
    between addresses that do not match."""
    for i in range(4):
        await lms.invite(f"b.{i}@example.com", first_name="Paul", last_name="Gagnon")
    for i in range(3):
        await lms.invite(f"c.tremblay.{i}@example.com", first_name="Paul", last_name="Gagnon")
    for i in range(4):
        await lms.invite(f"d.{i}@example.com", first_name="Luc", last_name="Roy")
    for i in range(3):  # "tremblay" in the name only: q matches, the e-mail filter does not
        await lms.invite(f"e.{i}@example.com", first_name="Anne", last_name="Tremblay")
    await lms.invite("f.tremblay@example.com", first_name="Zoé", last_name="Roy")


# The whole list's addresses, as `ORDER BY email_normalized, id` of the condition.
IN_ORDER = {
    (column, direction): text(
        f"SELECT email FROM users WHERE tenant_id = :tenant AND {column} LIKE '%tremblay%'"  # noqa: S608
        f" ORDER BY email_normalized {direction}, id {direction}"  # the names above, fixed
    )
    for column in ("search_text", "email_normalized")
    for direction in ("ASC", "DESC")
}


async def in_order(session: AsyncSession, lms: Lms, query: Query, descending: bool) -> list[str]:
    column = "search_text" if query[0][0] == "q" else "email_normalized"
    statement = IN_ORDER[column, "DESC" if descending else "ASC"]
    return list((await session.execute(statement, {"tenant": lms.tenant.id})).scalars())


async def walked_pages(session: AsyncSession, lms: Lms, query: Query) -> list[str]:
    """The whole list read by the walk alone, page by page (two a page)."""
    seen: list[str] = []
    cursor: Query = []
    while True:
        listed: Listing = await listing(session, lms, [*query, ("limit", "2"), *cursor])
        page = await email_walk_page(session, listed, Estimate(8, 24.0), datetime.now(UTC))
        assert page is not None  # 4 × 8 entries: every address of the tenant
        assert not page.total_is_exact
        seen.extend(u.email for u in page.users)
        position = page.next_position(listed.sort)
        if position is None:
            assert not page.has_more
            return seen
        cursor = [("cursor", str(user_cursor(listed.sort, position)))]


@pytest.mark.parametrize("query", [[("q", "tremblay")], [("email", "Tremblay")]])
@pytest.mark.parametrize("sort", ["email", "-email"])
async def test_an_email_walk_pages_through_the_matches_in_email_order(
    lms: Lms, session: AsyncSession, query: Query, sort: str
) -> None:
    await seed(lms)
    expected = await in_order(session, lms, query, sort.startswith("-"))
    assert len(expected) in (4, 7)  # by address; by address or name
    assert await walked_pages(session, lms, [*query, ("sort", sort)]) == expected


async def test_a_list_within_one_page_is_counted(lms: Lms, session: AsyncSession) -> None:
    await seed(lms)
    listed = await listing(session, lms, [("email", "tremblay"), ("sort", "-email")])
    page = await email_walk_page(session, listed, Estimate(8, 24.0), datetime.now(UTC))
    assert page is not None
    assert [u.email for u in page.users] == [
        "f.tremblay@example.com",
        *(f"c.tremblay.{i}@example.com" for i in reversed(range(3))),
    ]
    assert (page.has_more, page.total, page.total_is_exact) == (False, 4, True)


async def test_the_list_reads_a_text_search_in_email_order_from_the_walk(
    lms: Lms, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(lms)
    # The walk is chosen from `SEEK_FROM` expected matches (5,000): here from any.
    monkeypatch.setattr(user_search, "SEEK_FROM", 0)
    listed = await listing(session, lms, [("q", "tremblay"), ("sort", "email"), ("limit", "3")])
    with statements(session) as sent:
        page = await user_search.find_page(session, listed, 20_000, datetime.now(UTC))
    assert [u.email for u in page.users] == [f"c.tremblay.{i}@example.com" for i in range(3)]
    assert (page.has_more, page.total_is_exact) == (True, False)
    assert any("user_name_pieces" in statement for statement, _ in sent), sent


async def test_the_walk_reads_the_index_alone_up_to_the_page_and_users_for_the_page(
    lms: Lms, session: AsyncSession
) -> None:
    await seed(lms)
    listed = await listing(session, lms, [("q", "tremblay"), ("sort", "email"), ("limit", "2")])
    with statements(session) as sent:
        page = await email_walk_page(session, listed, Estimate(8, 24.0), datetime.now(UTC))
    assert page is not None
    (walk,) = sent
    turned_off = ("enable_seqscan", "enable_bitmapscan", "enable_sort")
    plan = await plan_as_run(session, walk, turned_off=turned_off)
    scans = [n for n in nodes(plan) if n.get("Relation Name") in ("users", "user_name_pieces")]
    pieces = [n for n in scans if n["Relation Name"] == "user_name_pieces"]
    assert {(n["Node Type"], n["Index Name"]) for n in pieces} == {
        ("Index Only Scan", "ix_user_name_pieces_email")
    }, json.dumps(plan, indent=1)
    # The walk; the span's end is not looked for once a page and one more matched.
    walks = [n for n in pieces if n["Actual Loops"]]
    assert len(walks) == 1, json.dumps(plan, indent=1)
    # Entries passed: every address up to the third match (the page's two and one more),
    # none after it.
    addresses = await session.execute(
        text(
            "SELECT email_normalized FROM user_name_pieces WHERE tenant_id = :tenant"
            " ORDER BY email_normalized, user_id"
        ),
        {"tenant": lms.tenant.id},
    )
    third_match = [a for a in addresses.scalars() if "tremblay" in a][2]
    passed = [n["Actual Rows"] * n["Actual Loops"] for n in walks]
    (passed_entries,) = passed
    before = await session.execute(
        text(
            "SELECT count(*) FROM user_name_pieces WHERE tenant_id = :tenant"
            " AND email_normalized <= :last"
        ),
        {"tenant": lms.tenant.id, "last": third_match},
    )
    assert passed_entries == before.scalar_one(), json.dumps(plan, indent=1)
    # `users` only for the page's rows (and the one more), by primary key.
    reads = [n for n in scans if n["Relation Name"] == "users"]
    assert all(n["Node Type"] == "Index Scan" for n in reads), json.dumps(plan, indent=1)
    assert sum(n["Actual Rows"] * n["Actual Loops"] for n in reads) == 3


async def test_the_walk_gives_up_where_its_span_ends_before_a_page(
    lms: Lms, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(9):
        await lms.invite(f"a.{i}@example.com", first_name="Paul", last_name="Gagnon")
    for i in range(2):
        await lms.invite(f"b.tremblay.{i}@example.com", first_name="Paul", last_name="Gagnon")
    before = await session.execute(
        text(
            "SELECT count(*) FROM user_name_pieces WHERE tenant_id = :tenant"
            " AND email_normalized < 'b.tremblay'"
        ),
        {"tenant": lms.tenant.id},
    )
    passed = before.scalar_one()  # the nine "a." and the tenant's admin
    # A span of exactly as many entries as the planner expects matches.
    monkeypatch.setattr(email_walk, "WALK_PER_MATCH", 1)

    async def page_of(limit: int, span: int) -> FoundPage | None:
        query = [("q", "tremblay"), ("sort", "email"), ("limit", str(limit))]
        listed = await listing(session, lms, query)
        return await email_walk_page(session, listed, Estimate(span, 0.0), datetime.now(UTC))

    # A page of one and one more: the span ends before the first match, or at it (the
    # matches may go on after it).
    assert await page_of(1, passed) is None
    assert await page_of(1, passed + 1) is None
    page = await page_of(1, passed + 2)
    assert page is not None
    assert ([u.email for u in page.users], page.has_more) == (["b.tremblay.0@example.com"], True)
    # A page of two and one more: the list ends within the span.
    page = await page_of(2, passed + 5)
    assert page is not None
    assert [u.email for u in page.users] == [f"b.tremblay.{i}@example.com" for i in range(2)]
    assert (page.has_more, page.total, page.total_is_exact) == (False, 2, True)


def test_the_walk_is_for_text_filters_only_in_email_order() -> None:
    email, by_name = UserSort("email"), UserSort("-name")
    assert walks_text_in_email_order(UserFilters(q="tremblay"), email)
    assert walks_text_in_email_order(UserFilters(email="tremblay"), UserSort("-email"))
    assert not walks_text_in_email_order(UserFilters(q="tremblay"), by_name)
    assert not walks_text_in_email_order(UserFilters(q="tremblay", status=("active",)), email)
    assert not walks_text_in_email_order(UserFilters(q="tremblay", never_logged_in=True), email)
    assert not walks_text_in_email_order(
        UserFilters.model_validate({"q": "tremblay", "field.department": "TI"}), email
    )
    assert not walks_text_in_email_order(UserFilters(), email)


async def test_the_side_table_follows_the_address(lms: Lms, session: AsyncSession) -> None:
    user = await lms.invite("zed.roy@example.com", first_name="Zed", last_name="Roy")
    address = text(
        "SELECT email_normalized FROM user_name_pieces"
        " WHERE tenant_id = :tenant AND user_id = :user"
    )
    key = {"tenant": lms.tenant.id, "user": user["id"]}
    assert (await session.execute(address, key)).scalar_one() == "zed.roy@example.com"
    await session.execute(
        text(
            "UPDATE users SET email_normalized = 'roy@example.com'"
            " WHERE tenant_id = :tenant AND id = :user"
        ),
        key,
    )
    assert (await session.execute(address, key)).scalar_one() == "roy@example.com"
