"""What the user list's ways of reading a page share (`user_search.py` chooses among
them, `name_seek.py` is one): the columns a page shows, its rows' order and cursor, the
statements' execution and the planner's estimate."""

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    Subquery,
    and_,
    func,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.visitors import InternalTraversal

from services.directory.db.models import Group, User, UserGroup
from services.directory.db.user_filters import conditions_for, sort_column
from services.directory.domain.listing import ListedUser, Position
from shared.contracts.user_filters import UserFilters, UserSort

Column = ColumnElement[Any] | InstrumentedAttribute[Any]


# The list's statements name the tables' columns, not the ORM's attributes: SQLAlchemy
# builds a cache key of every statement it runs, and for 31 ORM columns that cost more CPU
# than PostgreSQL spends on many a page.
USERS, GROUPS_TABLE, USER_GROUPS = User.__table__.c, Group.__table__.c, UserGroup.__table__.c

# What the list shows of a user, and the sort keys its cursors hold: read as plain rows
# (no ORM object per user), without the search text, password hash or deactivation details.
LISTED_COLUMNS: tuple[ColumnElement[Any], ...] = tuple(
    USERS[name]
    for name in (
        "id",
        "email",
        "first_name",
        "last_name",
        "phone",
        "locale",
        "role",
        "status",
        "custom_fields",
        "invitation_state",
        "invitation_requested_at",
        "invitation_first_sent_at",
        "invitation_last_sent_at",
        "invitation_expires_at",
        "invitation_send_count",
        "invitation_resend_count",
        "invitation_accepted_at",
        "invitation_failure_reason",
        "email_state",
        "email_bounce_kind",
        "email_state_reason",
        "email_state_changed_at",
        "email_delivered_at",
        "last_login_at",
        "created_at",
        "updated_at",
        "version",
        "sort_name",
        "email_normalized",
        "last_login_sort",
    )
)
# A user's groups by name, as the list shows them ([{"id", "name"}], NULL for none). In
# the select list, PostgreSQL evaluates it after the ORDER BY ... LIMIT: for the page only.
GROUPS = (
    select(
        func.json_agg(
            aggregate_order_by(
                func.json_build_object("id", GROUPS_TABLE.id, "name", GROUPS_TABLE.name),
                func.lower(GROUPS_TABLE.name),
            ),
            type_=JSON,
        )
    )
    .select_from(UserGroup.__table__)
    .join(
        Group.__table__,
        (GROUPS_TABLE.tenant_id == USER_GROUPS.tenant_id)
        & (GROUPS_TABLE.id == USER_GROUPS.group_id),
    )
    .where(USER_GROUPS.tenant_id == USERS.tenant_id, USER_GROUPS.user_id == USERS.id)
    .correlate(User.__table__)
    .scalar_subquery()
    .label("groups")
)


@dataclass(frozen=True)
class FoundPage:
    users: Sequence[ListedUser]
    has_more: bool
    total: int
    total_is_exact: bool

    def next_position(self, sort: UserSort) -> Position | None:
        """Where the next page starts; None on the last page."""
        if not self.users or not self.has_more:
            return None
        last = self.users[-1]
        return Position(getattr(last, sort_column(sort).key), last.id)


async def execute(
    session: AsyncSession, statement: Executable, values: Mapping[str, Any] | None = None
) -> Result[Any]:
    """On the session's connection: the list reads rows, not ORM objects, and skips the
    session's ORM bookkeeping (a third of the CPU a page statement costs through it)."""
    return await (await session.connection()).execute(statement, values)


# --- the planner's estimate -----------------------------------------------------------------


class Explain(Executable, ClauseElement):
    """`EXPLAIN (FORMAT JSON) <query>`, bound like the query itself would be; its SQL
    compiled once per shape of query, like any statement's (cached by the query's key)."""

    inherit_cache = True
    _traverse_internals = [("query", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, query: Select[Any]) -> None:
        self.query = query

    @property
    def _all_selected_columns(self) -> tuple[()]:
        """Its one column is the plan, read by position (what a cached compilation asks)."""
        return ()


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return f"EXPLAIN (FORMAT JSON) {compiler.process(element.query, **kw)}"


@dataclass(frozen=True)
class Estimate:
    rows: int  # how many rows the planner expects
    cost: float  # what it expects reading them all to cost, in its units
    # Whether its plan reads the filters' GIN (`ix_users_filters`), rather than a btree.
    through_filters_gin: bool = False


FILTERS_GIN = "ix_users_filters"


async def planner_estimate(session: AsyncSession, query: Select[Any]) -> Estimate:
    """The planner's expectation for `query` (its statistics, not a count)."""
    plan = (await execute(session, Explain(query))).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    top = plan[0]["Plan"]
    gin = FILTERS_GIN in (node.get("Index Name") for node in _plan_nodes(top))
    return Estimate(int(top["Plan Rows"]), float(top["Total Cost"]), through_filters_gin=gin)


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


@dataclass(frozen=True)
class Listing:
    """What a page of the list is asked for."""

    tenant_id: uuid.UUID
    filters: UserFilters
    field_values: Mapping[uuid.UUID, Any]  # the custom-field filters, cleaned, by field id
    sort: UserSort
    after: Position | None
    limit: int

    def conditions(self, now: datetime, *, for_walk: bool = False) -> list[ColumnElement[bool]]:
        return conditions_for(
            self.tenant_id, self.filters, self.field_values, now, self.sort, for_walk=for_walk
        )


# The page's select list, built once: coercing 31 columns cost more CPU per request than
# PostgreSQL spends on many a page. Each query adds its conditions to a copy.
LISTED = select(*LISTED_COLUMNS, GROUPS)
# A page's users by primary key, from its keys: a subquery named "page" (tenant_id, id).
ON_PAGE = and_(
    USERS.tenant_id == literal_column("page.tenant_id"), USERS.id == literal_column("page.id")
)


def users_of_page(
    page_rows: Subquery, order: Sequence[ColumnElement[Any]], *columns: ColumnElement[Any]
) -> Select[Any]:
    """The listed columns, and `columns`, of the users whose keys `page_rows` holds (a
    subquery named "page": tenant_id, id), in `order`."""
    return LISTED.add_columns(*columns).join(page_rows, ON_PAGE).order_by(*order)


def after_cursor(
    key: Column, user_id: Column, sort: UserSort, after: Position
) -> ColumnElement[bool]:
    row, last = tuple_(key, user_id), tuple_(after.sort_value, after.user_id)
    return row < last if sort.descending else row > last


def sort_order(key: Column, user_id: Column, sort: UserSort) -> tuple[ColumnElement[Any], ...]:
    return (key.desc(), user_id.desc()) if sort.descending else (key.asc(), user_id.asc())
