"""The statements an export runs on the projection: the matching users' rows, in the list's
order, as `ExportRow` fields (the CSV's cells computed from them in SQL, db/csv_copy.py)."""

import json
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import ColumnElement, Select, Subquery, and_, cast, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.types import Text

from services.exports.db.csv_copy import compiled, csv_cell_expressions
from services.exports.db.models import ProjectedUser
from services.exports.db.user_filters import SORT_COLUMNS, conditions_for
from services.exports.domain.columns import Column
from services.exports.domain.rows import ExportRow
from shared.contracts.user_filters import UserFilters, UserSort

FETCH_ROWS = 2000  # rows a cursor fetches at once


def matching_rows(
    tenant_id: uuid.UUID,
    filters: UserFilters,
    field_values: Mapping[str, Any],
    sort: UserSort,
    now: datetime,
) -> Subquery:
    """Every matching user as the `ExportRow` fields (who deactivated them: that admin's
    e-mail address while the projection knows them, else their id), and the sort keys."""
    user, admin = ProjectedUser, aliased(ProjectedUser)
    fields: list[ColumnElement[Any]] = []
    for name in ExportRow._fields:
        if name == "deactivated_by":
            by = func.coalesce(admin.email, cast(user.deactivated_by, Text))
            fields.append(by.label(name))
        else:
            fields.append(getattr(user, name).label(name))
    conditions = conditions_for(tenant_id, filters, field_values, now)
    query = (
        select(*fields, SORT_COLUMNS[sort.key].label("sort_key"), user.id.label("user_id"))
        .outerjoin(admin, and_(admin.tenant_id == user.tenant_id, admin.id == user.deactivated_by))
        .where(*conditions)
    )
    return query.subquery("matches")


def _ordered(query: Select[Any], rows: Subquery, sort: UserSort) -> Select[Any]:
    key, user_id = rows.c.sort_key, rows.c.user_id
    if sort.descending:
        return query.order_by(key.desc(), user_id.desc())
    return query.order_by(key.asc(), user_id.asc())


def csv_statement(
    rows: Subquery, columns: Sequence[Column], sort: UserSort, now: datetime
) -> Select[Any]:
    return _ordered(select(*csv_cell_expressions(columns, rows, now)), rows, sort)


def row_statement(rows: Subquery, sort: UserSort) -> Select[Any]:
    return _ordered(select(*(rows.c[name] for name in ExportRow._fields)), rows, sort)


def count_statement(rows: Subquery) -> Select[Any]:
    return select(func.count()).select_from(rows)


async def count(connection: asyncpg.Connection, rows: Subquery) -> int:
    query, args = compiled(count_statement(rows))
    return int(await connection.fetchval(query, *args))


async def export_rows(
    connection: asyncpg.Connection, rows: Subquery, sort: UserSort
) -> AsyncIterator[list[ExportRow]]:
    """The rows in order, a chunk at a time, from a cursor (memory stays flat). The
    connection decodes jsonb (`use_json_codec`)."""
    query, args = compiled(row_statement(rows, sort))
    async with connection.transaction():
        cursor = await connection.cursor(query, *args)
        while chunk := await cursor.fetch(FETCH_ROWS):
            yield [ExportRow(*record) for record in chunk]


async def use_json_codec(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )


class ProjectionReader:
    """One connection to the projection, for one job's statements."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    @classmethod
    async def connect(cls, dsn: str) -> "ProjectionReader":
        connection = await asyncpg.connect(dsn)
        await use_json_codec(connection)
        return cls(connection)

    async def close(self) -> None:
        await self.connection.close()
