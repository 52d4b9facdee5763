"""A walk bounded to a span of the sort order (the list's first try where a text term's
matches may sit together far along a text order): it gives the page when the page fills
within the span, and nothing otherwise (the list then collects the matches)."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.api.cursors import user_position
from services.directory.api.schemas import UserListQuery
from services.directory.db.list_pages import Listing
from services.directory.db.user_search import listing_fields, walked_page
from tests.support.directory import Lms


async def short_walk(session: AsyncSession, lms: Lms, sort: str, span: int) -> list[str] | None:
    query = UserListQuery.from_query([("q", "tremblay"), ("sort", sort), ("limit", "2")])
    await listing_fields(session, lms.tenant.id)
    after = user_position(query.sort, query.cursor)
    listing = Listing(lms.tenant.id, query, {}, query.sort, after, query.limit)
    conditions = listing.conditions(datetime.now(UTC), for_walk=True)
    page = await walked_page(session, listing, conditions, 1_000, span)
    return None if page is None else [u.email for u in page.users]


async def test_a_short_walk_gives_the_page_only_if_it_fills_within_the_span(
    lms: Lms, session: AsyncSession
) -> None:
    # In name order: the admin, 3 Allard, 3 Bouchard, then 3 Tremblay.
    for last in ("Allard", "Bouchard", "Tremblay"):
        for i in range(3):
            await lms.invite(f"{last.lower()}.{i}@example.com", first_name=f"P{i}", last_name=last)

    assert await short_walk(session, lms, "name", span=7) is None
    assert await short_walk(session, lms, "name", span=9) is None  # 2 of the 3 rows a page takes
    assert await short_walk(session, lms, "name", span=10) == [
        "tremblay.0@example.com",
        "tremblay.1@example.com",
    ]
    # Descending, the Tremblays come first.
    assert await short_walk(session, lms, "-name", span=3) == [
        "tremblay.2@example.com",
        "tremblay.1@example.com",
    ]
    assert await short_walk(session, lms, "-name", span=2) is None
