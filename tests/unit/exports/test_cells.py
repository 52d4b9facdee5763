from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from services.exports.domain.cells import csv_cells, xlsx_cells
from services.exports.domain.columns import export_columns
from shared.contracts.users import InvitationState
from tests.unit.exports.support import FIELDS, a_row

MONTREAL = ZoneInfo("America/Montreal")
NOW = datetime(2025, 1, 1, tzinfo=UTC)
COLUMNS = export_columns(FIELDS)


def by_header(cells: Sequence[object]) -> dict[str, object]:
    return {column.name: cell for column, cell in zip(COLUMNS, cells, strict=True)}


def test_xlsx_cells_are_typed_and_dates_are_in_the_tenants_zone() -> None:
    cells = by_header(xlsx_cells(COLUMNS, MONTREAL, NOW)(a_row()))

    assert cells["first_name"] == "Zoé"
    assert cells["status"] == "active"
    assert cells["groups"] == "Montréal, Ventes"
    # 14:00:05 UTC in January is 09:00:05 in Montréal (UTC-5); naive: Excel has no zones.
    assert cells["invitation_first_sent_at"] == datetime(2024, 1, 10, 9, 0, 5, 123456)
    # ... and 10:00 in July (UTC-4).
    assert cells["invitation_last_sent_at"] == datetime(2024, 7, 10, 10, 0)
    assert cells["last_login_at"] is None
    assert cells["field.seniority"] == -3  # a real number, negative, never neutralised
    assert cells["field.hired_on"] == date(2019, 9, 1)
    assert cells["field.mentor"] is True
    assert cells["field.department"] == "TI"


def test_text_that_looks_like_a_formula_is_neutralised_in_both_formats() -> None:
    row = a_row(first_name='=HYPERLINK("http://x.example")', groups=("@evil", "Ventes"))
    for convert in (xlsx_cells, csv_cells):
        cells = by_header(convert(COLUMNS, MONTREAL, NOW)(row))
        assert cells["first_name"] == '\'=HYPERLINK("http://x.example")'
        assert cells["phone"] == "'+1 514 555 0101"
        assert cells["groups"] == "'@evil, Ventes"
        assert cells["field.note"] == "'=2+3"


def test_csv_cells_are_text() -> None:
    cells = by_header(csv_cells(COLUMNS, MONTREAL, NOW)(a_row()))

    assert cells["invitation_first_sent_at"] == "2024-01-10 09:00:05"  # .123456 s rounded down
    assert cells["created_at"] == "2024-01-10 08:59:00"
    assert cells["field.seniority"] == "-3"
    assert cells["field.hired_on"] == "2019-09-01"
    assert cells["field.mentor"] == "true"
    assert cells["last_login_at"] is None
    assert cells["bounce_kind"] == "hard"


def test_a_sent_invitation_past_its_expiry_shows_as_expired() -> None:
    convert = xlsx_cells(COLUMNS, MONTREAL, NOW)
    sent = a_row(invitation_state=InvitationState.SENT)
    assert by_header(convert(sent))["invitation_state"] == "expired"
    not_yet = sent._replace(invitation_expires_at=datetime(2025, 1, 2, tzinfo=UTC))
    assert by_header(convert(not_yet))["invitation_state"] == "sent"
    accepted = a_row(invitation_state=InvitationState.ACCEPTED)
    assert by_header(convert(accepted))["invitation_state"] == "accepted"


def test_custom_values_that_do_not_fit_their_type_are_shown_as_text() -> None:
    row = a_row(custom_fields={"seniority": "-1 an", "hired_on": "bientôt", "mentor": "oui"})
    xlsx = by_header(xlsx_cells(COLUMNS, MONTREAL, NOW)(row))
    assert xlsx["field.seniority"] == "'-1 an"
    assert xlsx["field.hired_on"] == "bientôt"
    assert xlsx["field.mentor"] == "oui"
    assert xlsx["field.note"] is None  # a field the user has no value for
    csv = by_header(csv_cells(COLUMNS, MONTREAL, NOW)(row))
    assert csv["field.seniority"] == "'-1 an"


def test_no_groups_is_an_empty_cell() -> None:
    cells = by_header(xlsx_cells(COLUMNS, MONTREAL, NOW)(a_row(groups=())))
    assert cells["groups"] is None


def test_csv_datetimes_are_rounded_to_the_nearest_second() -> None:
    convert = csv_cells(COLUMNS, MONTREAL, NOW)
    half = a_row(created_at=datetime(2024, 12, 31, 23, 59, 59, 500000, tzinfo=UTC))
    assert by_header(convert(half))["created_at"] == "2024-12-31 19:00:00"
    below = a_row(created_at=datetime(2024, 12, 31, 23, 59, 59, 499999, tzinfo=UTC))
    assert by_header(convert(below))["created_at"] == "2024-12-31 18:59:59"
