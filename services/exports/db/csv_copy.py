"""CSV straight from PostgreSQL: `COPY (SELECT <cells>) TO STDOUT` streamed into the file.

Measured by bench/exports.py (1 M users, COPY and export in the same run): Python reading the
rows and writing them with the `csv` module (adapters/files/csv_file.py) takes 9.5x to 14x
the time of PostgreSQL's own COPY of the same columns, far from P2 (<= 1.5x); COPY with the
cells computed in SQL took 1.07x, 1.39x and 1.23x (three runs on a busy machine; 1.25x at
100 k in the last). So the CSV cells are SQL expressions here, built from
the same column layout as the XLSX cells, and must say the same thing as
`domain.cells.csv_cells` (a test compares both on one database).

The projection table is expected to have one column per `ExportRow` field, of the same name
(`groups` a text[], `custom_fields` a jsonb object of field key -> value, datetimes timestamptz).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from services.exports.adapters.files.csv_file import BOM, Delimiter
from services.exports.adapters.files.progress import (
    DEFAULT_PROGRESS_EVERY,
    Progress,
    ProgressCallback,
)
from services.exports.domain.cells import EXPIRED, LIST_SEPARATOR
from services.exports.domain.columns import CellKind, Column
from services.exports.domain.formulas import TRIGGERS
from shared.contracts.users import InvitationState

# domain.formulas.FORMULA_LIKE, as a PostgreSQL regular expression.
FORMULA_LIKE = r"'^([\t\r\n]|[ \t\r\n]*[-=+@])'"
FIRST_SAFE_CODE = ord("A")
assert all(ord(c) < FIRST_SAFE_CODE and not c.isdigit() for c in " \t\r\n" + TRIGGERS)
_WAITING = [InvitationState.SENT.value, InvitationState.DELIVERED.value]


def neutralised(
    text: ColumnElement[Any],
    first: ColumnElement[Any] | None = None,
    also: ColumnElement[bool] | None = None,
) -> ColumnElement[str]:
    """domain.formulas.neutralise in SQL: `first` is an expression that starts like `text`
    (cheaper to test), `also` a further condition for the text to be neutralised."""
    first = text if first is None else first
    # Every character a formula-like text starts with is below "A" and not a digit: integer
    # tests spare most cells the regular expression (16 text columns x 300 k rows: 0.90 s with
    # the regular expression alone, 0.54 s testing the 8 characters, 0.44 s testing < "A";
    # 0.28 s with no neutralisation). Digits: phone numbers, dates, numbers.
    code = func.ascii(first)
    suspect = (code < FIRST_SAFE_CODE) & ~code.between(ord("0"), ord("9"))
    if also is not None:
        suspect = suspect & also
    formula_like = suspect & first.op("~")(literal_column(FORMULA_LIKE))
    return case((formula_like, literal("'") + text), else_=text)


def _joined(values: ColumnElement[Any]) -> ColumnElement[str]:
    """The list joined, neutralised by its first item: the joined text is formula-like exactly
    when the first item is (so PostgreSQL joins the list once, not once per test)."""
    joined = func.nullif(func.array_to_string(values, LIST_SEPARATOR), "")
    return neutralised(joined, first=type_coerce(values, ARRAY(Text))[1])


def csv_cell_expressions(
    columns: Sequence[Column], table: FromClause, now: datetime
) -> list[ColumnElement[Any]]:
    """One SQL expression per column, giving the cell's CSV text (NULL: an empty cell)."""
    return [_cell(column, table, now) for column in columns]


def _cell(column: Column, table: FromClause, now: datetime) -> ColumnElement[Any]:
    key = column.field_key
    if key is not None:
        return _custom_cell(column.kind, table.c.custom_fields, key)
    value = table.c[column.name]
    if column.name == "invitation_state":
        expired = value.in_(_WAITING) & (table.c.invitation_expires_at <= now)
        return case((expired, literal(EXPIRED)), else_=value)
    if column.kind is CellKind.TEXT:
        return neutralised(value)
    if column.kind is CellKind.LIST:
        return _joined(value)
    if column.kind is CellKind.DATETIME:
        # The tenant's wall-clock time to the nearest second (the session's TimeZone is the
        # tenant's): the text csv_cells writes. 6 columns x 300 k rows: as cheap as the bare
        # column; date_trunc(... AT TIME ZONE ...) took 0.3 s more, to_char 0.4 s more.
        return cast(value, TIMESTAMP(timezone=False, precision=0))
    return value


_TYPED = (CellKind.NUMBER, CellKind.BOOLEAN)


def _custom_cell(kind: CellKind, fields: ColumnElement[Any], key: str) -> ColumnElement[Any]:
    text = fields.op("->>")(literal(key))
    if kind not in _TYPED:  # text, choice, date: text (a date is never formula-like)
        return neutralised(text)
    # Only a string where a number or yes/no was expected is text (and so neutralised).
    is_text = func.jsonb_typeof(fields.op("->")(literal(key))) == "string"
    return neutralised(text, also=is_text)


def compiled(statement: Select[Any]) -> tuple[str, list[Any]]:
    """The statement as asyncpg takes it: SQL with $n placeholders, and the arguments."""
    query = statement.compile(
        dialect=asyncpg_dialect.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"render_postcompile": True},
    )
    positions = query.positiontup or []
    return str(query), [query.params[name] for name in positions]


async def copy_csv(
    connection: asyncpg.Connection,
    statement: Select[Any],
    target: IO[bytes],
    header: Sequence[str],
    *,
    zone: ZoneInfo,
    delimiter: Delimiter = ";",
    on_progress: ProgressCallback | None = None,
    progress_every: int = DEFAULT_PROGRESS_EVERY,
) -> int:
    """Writes BOM, header and `COPY (statement) TO STDOUT (FORMAT csv)` into `target`.

    `statement` selects `csv_cell_expressions(...)`; datetimes are shown in `zone` (the
    tenant's time zone). Returns the number of data rows.
    """
    if delimiter not in (";", ","):
        raise ValueError(f"delimiter must be ';' or ',', not {delimiter!r}.")
    target.write(_header_line(header, delimiter))
    sink = _RowCountingSink(target, Progress(on_progress, progress_every))
    query, args = compiled(statement)
    async with connection.transaction():
        # Datetimes become the tenant's wall-clock time, written "YYYY-MM-DD HH:MM:SS".
        await connection.execute("SELECT set_config('TimeZone', $1, true)", zone.key)
        await connection.execute("SET LOCAL DateStyle = 'ISO, YMD'")
        await connection.copy_from_query(
            query, *args, output=sink.write, format="csv", delimiter=delimiter
        )
    sink.progress.finish()
    return sink.progress.rows


def _header_line(header: Sequence[str], delimiter: Delimiter) -> bytes:
    line = io.StringIO()
    csv.writer(line, delimiter=delimiter, lineterminator="\n").writerow(header)
    return (BOM + line.getvalue()).encode()


class _RowCountingSink:
    """Writes COPY's chunks and counts the records in them: a line feed ends a record unless
    it is inside a quoted cell (a cell may hold line feeds; `""` is a quote inside one)."""

    def __init__(self, target: IO[bytes], progress: Progress) -> None:
        self.target = target
        self.progress = progress
        self.in_quotes = False

    async def write(self, chunk: bytes) -> None:
        self.target.write(chunk)
        if not self.in_quotes and b'"' not in chunk:
            self.progress.add(chunk.count(b"\n"))
            return
        parts = chunk.split(b'"')
        outside = parts[1::2] if self.in_quotes else parts[0::2]
        self.progress.add(sum(part.count(b"\n") for part in outside))
        self.in_quotes ^= len(parts) % 2 == 0  # an odd number of quotes flips the state
