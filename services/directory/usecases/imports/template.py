"""The file an admin fills in: the headers in their language, one example row."""

from services.directory.adapters.spreadsheets import template_csv
from services.directory.domain.import_columns import TEMPLATE_HEADERS, Column

EXAMPLE = {
    Column.EMAIL: "marie.tremblay@example.com",
    Column.FIRST_NAME: "Marie",
    Column.LAST_NAME: "Tremblay",
    Column.PHONE: "+1 514 555 0100",
    Column.LOCALE: "fr",
    Column.ROLE: "learner",
    Column.GROUPS: "Soins intensifs, Nouveaux",
}


def template_file(locale: str) -> bytes:
    headers = TEMPLATE_HEADERS[locale]
    return template_csv(
        [headers[c] for c in Column], [EXAMPLE[c] for c in Column], ";" if locale == "fr" else ","
    )
