"""The columns of an export, as data: the fixed ones, then one per custom field of the tenant."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from services.exports.domain.rows import ExportRow


class CellKind(StrEnum):
    TEXT = "text"  # free text: neutralised against formulas
    CODE = "code"  # a value from a fixed list (status, locale...): shown as is
    LIST = "list"  # several texts, joined into one cell
    DATETIME = "datetime"  # a moment: a real date in XLSX, ISO 8601 text in CSV
    DATE = "date"  # a calendar date (custom fields)
    NUMBER = "number"
    BOOLEAN = "boolean"


class FieldType(StrEnum):
    """The custom field types the directory defines (`CustomFieldValue.type`)."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    YES_NO = "yes_no"


FIELD_KINDS = {
    FieldType.TEXT: CellKind.TEXT,
    FieldType.CHOICE: CellKind.TEXT,
    FieldType.NUMBER: CellKind.NUMBER,
    FieldType.DATE: CellKind.DATE,
    FieldType.YES_NO: CellKind.BOOLEAN,
}


@dataclass(frozen=True)
class CustomFieldColumn:
    """A custom field of the tenant, as the export needs it."""

    key: str
    label: str
    type: FieldType


@dataclass(frozen=True)
class Column:
    name: str  # the ExportRow field, or "field.<key>" for a custom field
    header: str  # English text, the message id in the catalogues; a custom field's own label
    kind: CellKind
    width: float  # in characters, a starting point that the XLSX writer may widen
    translated: bool = True  # False for custom fields: their label is the tenant's own

    @property
    def field_key(self) -> str | None:
        return self.name.removeprefix("field.") if self.name.startswith("field.") else None


def _fixed(name: str, header: str, kind: CellKind, width: float) -> Column:
    assert name in ExportRow._fields, name
    return Column(name, header, kind, width)


K = CellKind
FIXED_COLUMNS: tuple[Column, ...] = (
    _fixed("first_name", "First name", K.TEXT, 16),
    _fixed("last_name", "Last name", K.TEXT, 18),
    _fixed("email", "E-mail", K.TEXT, 32),
    _fixed("phone", "Phone", K.TEXT, 16),
    _fixed("locale", "Language", K.CODE, 8),
    _fixed("role", "Role", K.TEXT, 10),
    _fixed("status", "Status", K.CODE, 12),
    _fixed("groups", "Groups", K.LIST, 28),
    _fixed("invitation_state", "Invitation", K.CODE, 12),
    _fixed("invitation_first_sent_at", "Invitation first sent", K.DATETIME, 18),
    _fixed("invitation_last_sent_at", "Invitation last sent", K.DATETIME, 18),
    _fixed("email_state", "E-mail state", K.CODE, 12),
    _fixed("bounce_kind", "Bounce kind", K.CODE, 12),
    _fixed("email_reason", "Bounce reason", K.TEXT, 30),
    _fixed("email_changed_at", "Bounce date", K.DATETIME, 18),
    _fixed("created_at", "Created", K.DATETIME, 18),
    _fixed("last_login_at", "Last login", K.DATETIME, 18),
    _fixed("deactivated_at", "Deactivated", K.DATETIME, 18),
    _fixed("deactivated_by", "Deactivated by", K.TEXT, 28),
    _fixed("deactivation_reason", "Deactivation reason", K.TEXT, 30),
)
# The fixed columns are the first fields of ExportRow, in the same order.
assert tuple(c.name for c in FIXED_COLUMNS) == ExportRow._fields[: len(FIXED_COLUMNS)]

SHEET_TITLE = "Users"  # the message id of the sheet's name


def custom_column(field: CustomFieldColumn) -> Column:
    kind = FIELD_KINDS[field.type]
    width = {CellKind.TEXT: 20.0, CellKind.DATE: 12.0}.get(kind, 10.0)
    return Column(f"field.{field.key}", field.label, kind, width, translated=False)


def export_columns(custom_fields: Sequence[CustomFieldColumn]) -> tuple[Column, ...]:
    """Every column, in order: the fixed ones, then the tenant's fields in the tenant's order."""
    return FIXED_COLUMNS + tuple(custom_column(field) for field in custom_fields)
