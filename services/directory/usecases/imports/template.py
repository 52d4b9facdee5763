"""The file an admin fills in: the headers in their language, then a column for each of
the tenant's custom fields (its label, or its key when the label reads as a known column),
and one example row."""

from services.directory.adapters.spreadsheets import template_csv
from services.directory.db import custom_fields as fields_db
from services.directory.db.models import CustomField
from services.directory.domain.import_columns import TEMPLATE_HEADERS, Column, known_header
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.custom_fields import FieldType
from shared.security.access_tokens import Principal

EXAMPLE = {
    Column.EMAIL: "marie.tremblay@example.com",
    Column.FIRST_NAME: "Marie",
    Column.LAST_NAME: "Tremblay",
    Column.PHONE: "+1 514 555 0100",
    Column.LOCALE: "fr",
    Column.ROLE: "learner",
    Column.GROUPS: "Soins intensifs, Nouveaux",
}
FIELD_EXAMPLE: dict[FieldType, dict[str, str]] = {
    FieldType.NUMBER: {"fr": "1", "en": "1"},
    FieldType.DATE: {"fr": "2025-09-02", "en": "2025-09-02"},
    FieldType.YES_NO: {"fr": "oui", "en": "yes"},
}


async def template_file(uow: DirectoryUnitOfWork, actor: Principal, locale: str) -> bytes:
    fields = await fields_db.list_fields(uow.session, actor.tenant_id)
    headers = TEMPLATE_HEADERS[locale]
    return template_csv(
        [headers[c] for c in Column] + [_header(f) for f in fields],
        [EXAMPLE[c] for c in Column] + [_example(f, locale) for f in fields],
        ";" if locale == "fr" else ",",
    )


def _header(field: CustomField) -> str:
    return field.key if known_header(field.label) else field.label


def _example(field: CustomField, locale: str) -> str:
    if field.type is FieldType.CHOICE:
        return field.choices[0] if field.choices else ""
    return FIELD_EXAMPLE.get(field.type, {}).get(locale, "")
