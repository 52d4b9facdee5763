"""A batch's rows as one statement over arrays, one array a column: `INSERT ... SELECT
FROM unnest(...)` and `UPDATE ... FROM unnest(...)`, where an executemany runs (and
PostgreSQL plans and executes) one statement per row. The jobs' batches write their users,
activities, memberships and outcomes this way.

A column is `(name, PostgreSQL type, values)`; `jsonb` values travel as their JSON text.
Table and column names come from the code, never from a request; values are parameters."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, Table, text
from sqlalchemy.ext.asyncio import AsyncSession

Column = tuple[str, str, Sequence[Any]]


def _arrays(columns: Sequence[Column]) -> tuple[str, list[str], dict[str, Any]]:
    """The unnest(...) clause, each column's value as the SELECT reads it, the params."""
    casts, reads, params = [], [], {}
    for place, (name, kind, values) in enumerate(columns):
        if kind == "jsonb":
            casts.append(f"CAST(:a{place} AS text[])")
            reads.append(f"a.{name}::jsonb")
            params[f"a{place}"] = [None if v is None else json.dumps(v) for v in values]
        else:
            casts.append(f"CAST(:a{place} AS {kind}[])")
            reads.append(f"a.{name}")
            params[f"a{place}"] = list(values)
    names = ", ".join(name for name, _, _ in columns)
    return f"unnest({', '.join(casts)}) AS a({names})", reads, params


async def insert_rows(
    session: AsyncSession,
    table: Table,
    columns: Sequence[Column],
    *,
    also_columns: Mapping[str, str] | None = None,
    ignore_conflicts: bool = False,
    returning: bool = False,
) -> list[Row[Any]]:
    """The rows (one per place in the arrays); `also_columns`: columns given by an SQL
    expression (`{"id": "gen_random_uuid()"}`); with `returning`, the rows as written
    (typed as the table's columns: defaults and what triggers filled in)."""
    if not columns or not columns[0][2]:
        return []
    source, reads, params = _arrays(columns)
    names = [name for name, _, _ in columns] + list(also_columns or {})
    reads += list((also_columns or {}).values())
    sql = (
        f"INSERT INTO {table.name} AS t ({', '.join(names)})"  # noqa: S608
        f" SELECT {', '.join(reads)} FROM {source}"
    )
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    return await _run(session, table, sql, params, returning)


async def update_rows(
    session: AsyncSession,
    table: Table,
    where: Mapping[str, Any],
    keys: Sequence[Column],
    values: Sequence[Column],
    *,
    also: str = "",
    returning: bool = False,
) -> list[Row[Any]]:
    """Each row matching `where` (the same for all: tenant, job...) and its `keys` gets its
    `values`; `also`: more assignments, in SQL over the row `t`."""
    if not keys or not keys[0][2]:
        return []
    sql, params = _update(table, where, keys, values, also)
    return await _run(session, table, sql, params, returning)


async def update_counted(
    session: AsyncSession,
    table: Table,
    where: Mapping[str, Any],
    keys: Sequence[Column],
    values: Sequence[Column],
    *,
    also: str = "",
) -> int:
    """`update_rows`, saying how many rows it updated (none read back)."""
    if not keys or not keys[0][2]:
        return 0
    sql, params = _update(table, where, keys, values, also)
    result = await session.execute(text(sql), params)
    return int(result.rowcount)  # type: ignore[attr-defined]


def _update(
    table: Table,
    where: Mapping[str, Any],
    keys: Sequence[Column],
    values: Sequence[Column],
    also: str,
) -> tuple[str, dict[str, Any]]:
    source, reads, params = _arrays([*keys, *values])
    set_reads = reads[len(keys) :]
    assignments = [f"{name} = {read}" for (name, _, _), read in zip(values, set_reads, strict=True)]
    if also:
        assignments.append(also)
    conditions = [f"t.{name} = :w_{name}" for name in where]
    conditions += [f"t.{name} = a.{name}" for name, _, _ in keys]
    params.update({f"w_{name}": value for name, value in where.items()})
    sql = (
        f"UPDATE {table.name} t SET {', '.join(assignments)} FROM {source}"  # noqa: S608
        f" WHERE {' AND '.join(conditions)}"
    )
    return sql, params


async def _run(
    session: AsyncSession, table: Table, sql: str, params: dict[str, Any], returning: bool
) -> list[Row[Any]]:
    if not returning:
        await session.execute(text(sql), params)
        return []
    sql += " RETURNING " + ", ".join(f"t.{c.name}" for c in table.columns)
    statement = text(sql).columns(*table.columns)
    return list((await session.execute(statement, params)).all())
