"""A text term that is the start of family names, in name order: the list walks the names
under the term's initial (index-only) and looks the other initials' matches up by their
tagged three-letter pieces (`ix_user_name_pieces`), instead of reading a heap row for
every match to sort them. The pages must be those of the whole list, in order."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.api.cursors import user_cursor
from services.directory.db.list_pages import Listing
from services.directory.db.models import User
from services.directory.db.name_seek import (
    TAGGED_ELSEWHERE,
    elsewhere_pieces,
    seek_query,
    seek_term,
    seeked_page,
)
from shared.contracts.user_filters import UserFilters, UserSort
from tests.directory.list_plans import (
    left_in_reference_cycles,
    listing,
    nodes,
    plan_as_run,
    statements,
)
from tests.support.directory import Lms

# In name order: Bouchard (tremblay in the address), the Thibaults (under "t", before the
# Tremblays, no match), six Tremblays, the Turcottes (no match), Émond (tremblay in the
# address; "é" comes after "z" by code point: the other initials' tag "~").
FAMILIES = {"Thibault": 3, "Tremblay": 6, "Turcotte": 3}
OUTSIDE = {"Bouchard": "bouchard.tremblay@example.com", "Émond": "emond.tremblay@example.com"}


async def seed(lms: Lms) -> list[str]:
    """The users; returns the addresses of the Tremblay matches in name order."""
    for family, count in FAMILIES.items():
        for i in range(count):
            await lms.invite(
                f"{family.lower()}.{i}@example.com", first_name=f"P{i}", last_name=family
            )
    for family, email in OUTSIDE.items():
        await lms.invite(email, first_name="Zed", last_name=family)
    tremblays = [f"tremblay.{i}@example.com" for i in range(FAMILIES["Tremblay"])]
    return [OUTSIDE["Bouchard"], *tremblays, OUTSIDE["Émond"]]


async def seeked_pages(session: AsyncSession, lms: Lms, query: list[tuple[str, str]]) -> list[str]:
    """The list read page by page (two a page) while the seek gives pages."""
    seen: list[str] = []
    cursor: list[tuple[str, str]] = []
    while True:
        listed: Listing = await listing(session, lms, [*query, ("limit", "2"), *cursor])
        term = seek_term(listed.filters)
        assert term == "tremblay"
        page = await seeked_page(session, listed, term, 8, datetime.now(UTC))
        if page is None:
            return seen
        assert (page.has_more, page.total_is_exact) == (True, False)
        seen.extend(u.email for u in page.users)
        position = page.next_position(listed.sort)
        assert position is not None
        cursor = [("cursor", str(user_cursor(listed.sort, position)))]


async def test_a_seek_pages_through_the_names_in_order_with_the_other_initials_merged(
    lms: Lms, session: AsyncSession
) -> None:
    in_order = await seed(lms)
    for query in ([("q", "tremblay")], [("email", "Tremblay")]):
        # Each page needs a third match among the names walked: the last two are collected.
        assert await seeked_pages(session, lms, query) == in_order[:6], query
        descending = await seeked_pages(session, lms, [*query, ("sort", "-name")])
        assert descending == list(reversed(in_order))[:6], query


async def test_the_other_initials_matches_come_from_their_tagged_pieces(
    lms: Lms, session: AsyncSession
) -> None:
    await seed(lms)
    users = User.__table__.c
    tenant = users.tenant_id == lms.tenant.id
    found = select(users.email).where(tenant, TAGGED_ELSEWHERE)
    pieces = elsewhere_pieces("tremblay", "t")
    assert sorted((await session.execute(found, pieces)).scalars()) == sorted(OUTSIDE.values())
    # Each user's pieces carry the initial of the sort name, "~" for one outside a-z.
    rows = (
        await session.execute(
            text(
                "SELECT u.last_name, array_agg(DISTINCT left(piece, 1))"
                " FROM users u JOIN user_name_pieces p"
                " ON p.tenant_id = u.tenant_id AND p.user_id = u.id,"
                " unnest(name_initial_trigrams(p.sort_name, p.search_text)) AS piece"
                " WHERE u.tenant_id = :tenant GROUP BY u.last_name"
            ),
            {"tenant": lms.tenant.id},
        )
    ).all()
    by_family = {family: tags for family, tags in rows}
    assert len(by_family) == len(FAMILIES) + len(OUTSIDE) + 1  # and the tenant's admin
    assert by_family["Tremblay"] == ["t"]
    assert by_family["Bouchard"] == ["b"]
    assert by_family["Émond"] == ["~"]


async def test_the_seek_walks_the_names_from_the_initial_not_from_the_start(
    lms: Lms, session: AsyncSession
) -> None:
    await seed(lms)
    listed = await listing(session, lms, [("q", "tremblay"), ("limit", "2")])
    with statements(session) as sent:
        page = await seeked_page(session, listed, "tremblay", 8, datetime.now(UTC))
    assert page is not None
    (walk,) = sent  # the walk and the lookup elsewhere, merged: one statement
    plan = await plan_as_run(session, walk, turned_off=("enable_seqscan", "enable_sort"))
    # The walk's own part: the lookup elsewhere may read the same index (a bitmap over the
    # other initials' names), as the planner sees fit for the table's statistics.
    (walked,) = [n for n in nodes(plan) if n.get("Subplan Name") == "CTE walked"]
    scans = [n for n in nodes(walked) if n.get("Index Name") == "ix_users_sort_name_filters"]
    assert scans, json.dumps(plan, indent=1)
    read = sum(
        (n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"] for n in scans
    )
    # The three Thibaults, then the page's two Tremblays and one more: not the admin, not
    # Bouchard (both before "t"), not the rest of the Tremblays.
    assert read == 3 + 3, json.dumps(plan, indent=1)


def test_a_seek_goes_by_the_longest_term_that_starts_with_a_letter() -> None:
    assert seek_term(UserFilters(q="marie tremblay")) == "tremblay"
    assert seek_term(UserFilters(q="zoé 42", email="Gagnon")) == "gagnon"
    assert seek_term(UserFilters(q="émond")) is None  # tagged "~", with other initials
    assert seek_term(UserFilters(q="42 ab")) is None


async def test_the_pieces_follow_a_name_or_an_address_and_nothing_else(
    lms: Lms, session: AsyncSession
) -> None:
    user = await lms.invite("zed.roy@example.com", first_name="Zed", last_name="Roy")
    pieces = text(
        "SELECT p.sort_name, p.search_text, p.xmin::text AS version FROM user_name_pieces p"
        " WHERE p.tenant_id = :tenant AND p.user_id = :user"
    )
    key = {"tenant": lms.tenant.id, "user": user["id"]}
    inserted = (await session.execute(pieces, key)).one()
    assert (inserted.sort_name, inserted.search_text) == ("roy zed", "zed roy zed.roy@example.com")
    change = "UPDATE users SET {} WHERE tenant_id = :tenant AND id = :user"
    await session.execute(text(change.format("status = 'deactivated', version = version + 1")), key)
    assert (await session.execute(pieces, key)).one().version == inserted.version
    await session.execute(text(change.format("last_name = 'Tremblay'")), key)
    renamed = (await session.execute(pieces, key)).one()
    assert (renamed.sort_name, renamed.search_text) == (
        "tremblay zed",
        "zed tremblay zed.roy@example.com",
    )
    await session.execute(text(change.format("email_normalized = 'zed@example.com'")), key)
    moved = (await session.execute(pieces, key)).one()
    assert moved.search_text == "zed tremblay zed@example.com"
    await session.execute(text("DELETE FROM users WHERE tenant_id = :tenant AND id = :user"), key)
    assert (await session.execute(pieces, key)).one_or_none() is None


def test_the_lookup_elsewhere_names_every_tag_but_the_terms_initial() -> None:
    pieces = elsewhere_pieces("gagnon", "g")
    tags = sorted(values[0][0] for values in pieces.values())
    assert tags == sorted("abcdefhijklmnopqrstuvwxyz~")  # every tag once, not "g"
    assert pieces["elsewhere_0"] == ["aagn", "agag", "agno", "anon"]  # "gag", "agn", …


@pytest.mark.parametrize("sort", [UserSort.NAME, UserSort.NAME_DESC])
def test_a_seeks_statement_leaves_no_reference_cycles(sort: UserSort) -> None:
    """~190 objects a seek left made a collection of 4-13 ms every ~120 seeks."""
    users = User.__table__.c
    tenant = users.tenant_id == uuid.uuid4()
    walked = [tenant, users.search_text.contains("tremblay"), users.sort_name >= "t"]
    elsewhere = [tenant, TAGGED_ELSEWHERE, users.sort_name < "t"]
    assert left_in_reference_cycles(lambda: seek_query(walked, elsewhere, sort, None, 3)) == []
