"""What the list's tests use to see how PostgreSQL reads a page: the listing a query
gives, the statements a session sends, and the plan of one of them as it ran."""

import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Executable, event, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.api.cursors import user_position
from services.directory.api.schemas import UserListQuery
from services.directory.db.list_pages import Listing
from services.directory.db.user_search import listing_fields
from services.directory.usecases.list_users import field_values_by_id
from tests.support.directory import Lms

Statement = tuple[str, Any]


async def listing(session: AsyncSession, lms: Lms, query: list[tuple[str, str]]) -> Listing:
    parsed = UserListQuery.from_query(query)
    fields = await listing_fields(session, lms.tenant.id)
    values = field_values_by_id(parsed, fields)
    after = user_position(parsed.sort, parsed.cursor)
    return Listing(lms.tenant.id, parsed, values, parsed.sort, after, parsed.limit)


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


@contextmanager
def statements(session: AsyncSession) -> Iterator[list[Statement]]:
    """Each statement the session sends while open, with its parameters."""
    sent: list[Statement] = []
    engine = session.get_bind()

    def record(*args: Any) -> None:
        sent.append((args[2], args[3]))  # connection, cursor, statement, parameters

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def plan_as_run(
    session: AsyncSession, statement: Statement, *, turned_off: tuple[str, ...]
) -> dict[str, Any]:
    """The plan of `statement` as it ran (EXPLAIN ANALYZE), with the `turned_off` plan
    kinds (e.g. "enable_seqscan", "enable_sort") disabled in this transaction: what the
    planner does with a LIMIT on a million rows, forced on the tests' few."""
    for setting in turned_off:
        await session.execute(text(f"SET LOCAL {setting} = off"))
    sql, parameters = statement
    connection = await session.connection()
    explained = await connection.exec_driver_sql(
        f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", parameters
    )
    raw = explained.scalar_one()
    plan: dict[str, Any] = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    return plan


def left_in_reference_cycles(build: Callable[[], Executable]) -> list[str]:
    """The types of what building a statement (and its cache key, as executing it does)
    leaves in reference cycles: made for every request, it waits for the garbage
    collector, whose pauses fall on a request."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        build()._generate_cache_key()  # type: ignore[attr-defined]
        gc.collect()
        return [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
