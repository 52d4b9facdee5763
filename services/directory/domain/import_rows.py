"""What importing one row would do: create (and invite) a user, update some of an existing
user's fields, leave them unchanged, or nothing, for a reason the admin can act on.

The same verdict is given by the preview and, against the users as they are by then, by the
apply: pure functions of the row, the user with that address (if any) and the tenant's
groups, fields and roles.
"""

import functools
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from email_validator import EmailNotValidError, validate_email

from services.directory.domain.addresses import address_problem
from services.directory.domain.import_columns import Column
from shared.contracts.custom_fields import (
    FieldDefinition,
    FieldType,
    InvalidFieldValue,
    clean_value,
)

Cell = str | int | float | bool | date | datetime | None

MAX_NAME = 100
MAX_PHONE = 40
FORMULA_START = "="
LOCALES = {"fr": "fr", "francais": "fr", "français": "fr", "en": "en", "english": "en"}
LOCALES |= {"anglais": "en"}
# A dot-atom of the characters every address may use (RFC 5322), at most 64 of them.
PLAIN_LOCAL_PART = re.compile(
    r"(?=.{1,64}$)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
)
# Day 0 of Excel's serial dates (1900 system, with its 1900-02-29 that never was).
EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_SERIAL_RANGE = range(1, 2_958_466)


class RowPlan(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass(frozen=True)
class ImportRow:
    """A row as read from the file: its line number and its cells by column."""

    number: int
    cells: Mapping[str, Cell]  # Column values and custom-field keys


@dataclass(frozen=True)
class ExistingUser:
    id: uuid.UUID
    first_name: str
    last_name: str
    phone: str | None
    locale: str
    role: str
    custom_fields: Mapping[str, Any]  # by key
    groups: frozenset[str]  # lower-case names
    is_active_admin: bool


@dataclass(frozen=True)
class ImportContext:
    actor_id: uuid.UUID
    groups: Mapping[str, str]  # name as stored, by lower-case name
    create_groups: bool
    fields: Mapping[str, FieldDefinition]  # by key
    roles: Mapping[str, bool]  # is_admin, by key
    may_grant_admin: bool
    smtputf8: bool = False  # the setting EMAIL_SMTPUTF8: non-ASCII before the @ accepted


@dataclass(frozen=True)
class CleanRow:
    email: str
    values: Mapping[str, Any]  # Column values given (non-empty), cleaned
    custom_fields: Mapping[str, Any]  # by key, cleaned
    groups: tuple[str, ...]  # as written in the file


@dataclass(frozen=True)
class Verdict:
    plan: RowPlan
    row: CleanRow | None
    changes: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    new_groups: tuple[str, ...] = field(default=())

    @property
    def message(self) -> str:
        return "; ".join(self.errors)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def clean_row(row: ImportRow, ctx: ImportContext) -> tuple[CleanRow | None, list[str]]:
    """The row's values, cleaned, or what is wrong with them."""
    errors: list[str] = []
    values: dict[str, Any] = {}
    for column in Column:
        if column in row.cells:
            _clean_column(column, row.cells[column], values, errors, ctx)
    custom: dict[str, Any] = {}
    for key, definition in ctx.fields.items():
        if key in row.cells and not _blank(row.cells[key]):
            _clean_custom(definition, row.cells[key], custom, errors)
    email = values.pop(Column.EMAIL, None)
    if email is None and not any(e.startswith("email:") for e in errors):
        errors.append("email: missing.")
    groups = values.pop(Column.GROUPS, ())
    if errors or email is None:
        return None, errors
    return CleanRow(email, values, custom, groups), errors


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _text(cell: Cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a phone number a spreadsheet made a number
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return str(cell).strip()


def _clean_column(
    column: Column, cell: Cell, values: dict[str, Any], errors: list[str], ctx: ImportContext
) -> None:
    if _blank(cell):
        return
    text = _text(cell)
    if text.startswith(FORMULA_START):
        errors.append(f"{column.value}: looks like a spreadsheet formula; give the value itself.")
        return
    cleaner = _COLUMN_CLEANERS[column]
    try:
        values[column] = cleaner(text, ctx)
    except ValueError as error:
        errors.append(f"{column.value}: {error}")


def _email(text: str, ctx: ImportContext) -> str:
    """Checked by the invitation route's rules (`address_problem`: non-ASCII before the @
    only with SMTPUTF8, no fullwidth, no mixed look-alike alphabets, 64 octets at most). A
    plain ASCII local part is checked here and only its domain in full, once per domain: a
    file of 100,000 addresses has a few domains, and the full check is ~0.2 ms an address."""
    local, at, domain = text.rpartition("@")
    if at and PLAIN_LOCAL_PART.fullmatch(local):
        checked = _domain(domain)
        if checked is not None:
            return f"{local}@{checked}"
    try:
        normalized = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(f"{text[:80]!r} is not a valid e-mail address.") from None
    if problem := address_problem(text, smtputf8=ctx.smtputf8):
        raise ValueError(f"{text[:80]!r} can't be used: {problem}")
    return normalized


@functools.lru_cache(maxsize=4096)
def _domain(domain: str) -> str | None:
    """The domain as email-validator normalizes it, or None if it is refused (the full
    check then says why)."""
    if address_problem(f"a@{domain}", smtputf8=False) is not None:
        return None
    return validate_email(f"a@{domain}", check_deliverability=False).domain


def _name(text: str, _: ImportContext) -> str:
    if len(text) > MAX_NAME:
        raise ValueError(f"at most {MAX_NAME} characters.")
    return text


def _phone(text: str, _: ImportContext) -> str:
    if len(text) > MAX_PHONE:
        raise ValueError(f"at most {MAX_PHONE} characters.")
    return text


def _locale(text: str, _: ImportContext) -> str:
    locale = LOCALES.get(text.lower())
    if locale is None:
        raise ValueError(f"{text[:20]!r} is not a language we have (fr or en).")
    return locale


def _role(text: str, ctx: ImportContext) -> str:
    key = text.lower()
    if key not in ctx.roles:
        raise ValueError(f"there is no role {text[:50]!r}.")
    if ctx.roles[key] and not ctx.may_grant_admin:
        raise ValueError(f"you may not grant the role {key!r}.")
    return key


def _groups(text: str, _: ImportContext) -> tuple[str, ...]:
    separator = "|" if "|" in text else ","
    names = (name.strip() for name in text.split(separator))
    return tuple(dict.fromkeys(name for name in names if name))


_COLUMN_CLEANERS: dict[Column, Any] = {
    Column.EMAIL: _email,
    Column.FIRST_NAME: _name,
    Column.LAST_NAME: _name,
    Column.PHONE: _phone,
    Column.LOCALE: _locale,
    Column.ROLE: _role,
    Column.GROUPS: _groups,
}


def _clean_custom(
    definition: FieldDefinition, cell: Cell, custom: dict[str, Any], errors: list[str]
) -> None:
    if isinstance(cell, str) and cell.strip().startswith(FORMULA_START):
        errors.append(f"{definition.key}: looks like a spreadsheet formula; give the value itself.")
        return
    try:
        custom[definition.key] = clean_value(definition, spreadsheet_value(definition, cell))
    except InvalidFieldValue as error:
        errors.append(str(error))


def spreadsheet_value(definition: FieldDefinition, cell: Cell) -> Any:
    """A cell as its field's type reads it: dates from a spreadsheet (a date cell, an
    Excel serial number, 15/03/2024), numbers with a decimal comma, yes/no as 1/0."""
    if definition.type is FieldType.DATE:
        return _date_text(cell)
    if definition.type is FieldType.NUMBER and isinstance(cell, str):
        return cell.strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
    if definition.type is FieldType.YES_NO and cell in (1, 0, "1", "0"):
        return cell in (1, "1")
    if definition.type in (FieldType.TEXT, FieldType.CHOICE) and not isinstance(cell, str):
        return _text(cell)
    return cell.strip() if isinstance(cell, str) else cell


def _date_text(cell: Cell) -> Any:
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    serial = _excel_serial(cell)
    if serial is not None:
        return (EXCEL_EPOCH + timedelta(days=serial)).isoformat()
    if isinstance(cell, str):
        text = cell.strip()
        day_first = text.replace(".", "/").split("/")
        if len(day_first) == 3 and all(p.isdigit() for p in day_first) and len(day_first[2]) == 4:
            day, month, year = (int(p) for p in day_first)
            try:
                return date(year, month, day).isoformat()
            except ValueError:
                return text
        return text.split("T")[0].split(" ")[0]
    return cell


def _excel_serial(cell: Cell) -> int | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float) and float(cell).is_integer():
        number = int(cell)
    elif isinstance(cell, str) and cell.strip().isdigit() and len(cell.strip()) <= 7:
        number = int(cell.strip())
    else:
        return None
    return number if number in EXCEL_SERIAL_RANGE else None


def plan_row(
    row: CleanRow,
    existing: ExistingUser | None,
    ctx: ImportContext,
) -> Verdict:
    """What importing a clean row does to the user with its address (or without one)."""
    unknown = [g for g in row.groups if g.lower() not in ctx.groups]
    if unknown and not ctx.create_groups:
        return _error(row, f"groups: no such group: {', '.join(unknown)}.")
    if existing is None:
        return _plan_creation(row, ctx, tuple(unknown))
    return _plan_update(row, existing, ctx, tuple(unknown))


def _error(row: CleanRow | None, *errors: str) -> Verdict:
    return Verdict(RowPlan.ERROR, row, errors=errors)


def _plan_creation(row: CleanRow, ctx: ImportContext, new_groups: tuple[str, ...]) -> Verdict:
    missing = [
        c.value for c in (Column.FIRST_NAME, Column.LAST_NAME) if not row.values.get(c.value)
    ]
    missing += [k for k, f in ctx.fields.items() if f.required and k not in row.custom_fields]
    if missing:
        return _error(row, "a new user needs: " + ", ".join(missing) + ".")
    return Verdict(RowPlan.CREATE, row, new_groups=new_groups)


def _plan_update(
    row: CleanRow, user: ExistingUser, ctx: ImportContext, new_groups: tuple[str, ...]
) -> Verdict:
    current = {
        Column.FIRST_NAME: user.first_name,
        Column.LAST_NAME: user.last_name,
        Column.PHONE: user.phone,
        Column.LOCALE: user.locale,
        Column.ROLE: user.role,
    }
    changes = [name for name, value in row.values.items() if current.get(Column(name)) != value]
    if Column.ROLE.value in changes:
        refusal = _role_change_refusal(user, ctx, row.values[Column.ROLE])
        if refusal:
            return _error(row, refusal)
    changes += [
        f"custom_fields.{k}" for k, v in row.custom_fields.items() if user.custom_fields.get(k) != v
    ]
    if any(g.lower() not in user.groups for g in row.groups):
        changes.append("groups")
    plan = RowPlan.UPDATE if changes else RowPlan.UNCHANGED
    return Verdict(plan, row, changes=tuple(changes), new_groups=new_groups)


def _role_change_refusal(user: ExistingUser, ctx: ImportContext, role: str) -> str | None:
    if user.id == ctx.actor_id:
        return "role: you cannot change your own role by importing."
    if user.is_active_admin and not ctx.roles.get(role, False):
        return "role: an administrator is not demoted by an import; change it on the profile."
    return None


def duplicate_verdict(row: CleanRow, first_row: int) -> Verdict:
    return _error(row, f"email: the same address is on row {first_row}; only that row counts.")


def invalid_verdict(errors: list[str]) -> Verdict:
    return Verdict(RowPlan.ERROR, None, errors=tuple(errors))
