"""How a row's values become cells, for XLSX (typed values) and CSV (text).

Converters are built once per export (`xlsx_cells(columns, zone, now)`) and then called per row:
with a million rows, per-column decisions are taken before the loop, not inside it.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from services.exports.domain.columns import CellKind, Column
from services.exports.domain.formulas import FORMULA_LIKE, SUSPECT_FIRST, neutralise
from services.exports.domain.rows import ExportRow
from shared.contracts.users import InvitationState

CellValue = str | int | float | bool | datetime | date | None
Converter = Callable[[Any], CellValue]

LIST_SEPARATOR = ", "
HALF_SECOND = 500_000  # µs
EXPIRED = "expired"  # how an invitation nobody used in time is shown (and filtered)
_WAITING = (InvitationState.SENT, InvitationState.DELIVERED)


def shown_invitation_state(
    state: InvitationState, expires_at: datetime | None, now: datetime
) -> str:
    """The directory's rule: a sent link nobody used before it expired shows as expired."""
    if state in _WAITING and expires_at is not None and expires_at <= now:
        return EXPIRED
    return str(state)


def xlsx_cells(
    columns: Sequence[Column], zone: tzinfo, now: datetime
) -> Callable[[ExportRow], list[CellValue]]:
    """Row -> typed cells: real datetimes (naive, in the tenant's zone), numbers, booleans."""
    converters: dict[CellKind, Converter | None] = {
        CellKind.TEXT: _text,
        CellKind.CODE: None,  # codes (StrEnum members) are text already
        CellKind.LIST: _joined,
        CellKind.DATETIME: _local_datetime(zone),
        CellKind.DATE: _xlsx_date,
        CellKind.NUMBER: _xlsx_number,
        CellKind.BOOLEAN: _xlsx_boolean,
    }
    return _row_converter(columns, converters, now)


def csv_cells(
    columns: Sequence[Column], zone: tzinfo, now: datetime
) -> Callable[[ExportRow], list[CellValue]]:
    """Row -> text cells: datetimes as ISO 8601 "YYYY-MM-DD HH:MM:SS" in the tenant's zone,
    to the nearest second (the wall-clock time the XLSX shows, which Excel reads as a date),
    `true`/`false`."""
    converters: dict[CellKind, Converter | None] = {
        CellKind.TEXT: _text,
        CellKind.CODE: None,  # codes (StrEnum members) are text already
        CellKind.LIST: _joined,
        CellKind.DATETIME: _iso_datetime(zone),
        CellKind.DATE: _csv_date,
        CellKind.NUMBER: _csv_number,
        CellKind.BOOLEAN: _csv_boolean,
    }
    return _row_converter(columns, converters, now)


def _row_converter(
    columns: Sequence[Column],
    converters: dict[CellKind, Converter | None],
    now: datetime,
) -> Callable[[ExportRow], list[CellValue]]:
    # Row fields are read by index in one comprehension, one call per converted cell:
    # 12 µs a row became 4 µs (the XLSX writer itself takes ~90 µs a row).
    fixed = [c for c in columns if c.field_key is None]
    custom = [c for c in columns if c.field_key is not None]
    if list(columns[: len(fixed)]) != fixed:
        raise ValueError("Custom field columns must come after the fixed columns.")
    from_row = [(ExportRow._fields.index(c.name), converters[c.kind]) for c in fixed]
    from_fields = [(key, converters[c.kind]) for c in custom if (key := c.field_key)]
    names = [c.name for c in fixed]
    invitation = names.index("invitation_state") if "invitation_state" in names else None

    def convert(row: ExportRow) -> list[CellValue]:
        values: Sequence[Any] = row
        cells: list[CellValue] = [
            values[i] if to_cell is None else to_cell(values[i]) for i, to_cell in from_row
        ]
        if invitation is not None and row.invitation_state in _WAITING:
            cells[invitation] = shown_invitation_state(
                row.invitation_state, row.invitation_expires_at, now
            )
        if from_fields:
            fields = row.custom_fields
            cells += [
                fields.get(key) if to_cell is None else to_cell(fields.get(key))
                for key, to_cell in from_fields
            ]
        return cells

    return convert


def _text(value: Any) -> str | None:
    if value.__class__ is not str:
        return None if value is None else neutralise(str(value))
    # neutralise(), inlined: this runs for most cells of a million rows.
    if value[:1] in SUSPECT_FIRST and FORMULA_LIKE.match(value) is not None:
        return "'" + value
    return value


def _joined(values: Sequence[str] | None) -> str | None:
    return neutralise(LIST_SEPARATOR.join(values)) if values else None


def _local_datetime(zone: tzinfo) -> Callable[[datetime | None], datetime | None]:
    def convert(value: datetime | None) -> datetime | None:
        # Excel has no time zones: the tenant's wall-clock time, as a naive datetime.
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(zone).replace(tzinfo=None)

    return convert


def _iso_datetime(zone: tzinfo) -> Callable[[datetime | None], str | None]:
    def convert(value: datetime | None) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        local = value.astimezone(zone).replace(tzinfo=None)
        if local.microsecond >= HALF_SECOND:  # to the nearest second, as PostgreSQL rounds
            local += timedelta(microseconds=1_000_000 - local.microsecond)
        return local.replace(microsecond=0).isoformat(" ")

    return convert


def _xlsx_date(value: Any) -> CellValue:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return _text(value)  # not a date after all: shown as the text it is


def _csv_date(value: Any) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return _text(value)


def _is_number(value: Any) -> bool:
    return value.__class__ is int or value.__class__ is float


def _xlsx_number(value: Any) -> CellValue:
    return value if value is None or _is_number(value) else _text(value)


def _csv_number(value: Any) -> str | None:
    return str(value) if _is_number(value) else _text(value)


def _xlsx_boolean(value: Any) -> CellValue:
    return value if value is None or value.__class__ is bool else _text(value)


def _csv_boolean(value: Any) -> str | None:
    if value.__class__ is bool:
        return "true" if value else "false"
    return _text(value)
