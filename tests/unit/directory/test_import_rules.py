"""Import rules, without I/O: headers in French or English, cells as spreadsheets write
them, and what a row would do."""

import uuid
from datetime import datetime

import pytest

from services.directory.domain.addresses import address_problem
from services.directory.domain.import_columns import Column, HeaderProblem, match_headers
from services.directory.domain.import_rows import (
    ExistingUser,
    ImportContext,
    ImportRow,
    RowPlan,
    clean_row,
    plan_row,
)
from shared.contracts.custom_fields import FieldDefinition, FieldType

ACTOR = uuid.uuid4()
FIELDS = {
    "hired_on": FieldDefinition("hired_on", "Date d'embauche", FieldType.DATE),
    "seniority": FieldDefinition("seniority", "Ancienneté", FieldType.NUMBER),
    "full_time": FieldDefinition("full_time", "Temps plein", FieldType.YES_NO),
}


def context(**overrides: object) -> ImportContext:
    values: dict[str, object] = {
        "actor_id": ACTOR,
        "groups": {"soins": "Soins"},
        "create_groups": False,
        "fields": FIELDS,
        "roles": {"learner": False, "admin": True},
        "may_grant_admin": False,
        **overrides,
    }
    return ImportContext(**values)  # type: ignore[arg-type]


def clean(cells: dict[str, object], **overrides: object):  # type: ignore[no-untyped-def]
    return clean_row(ImportRow(2, cells), context(**overrides))  # type: ignore[arg-type]


def test_headers_match_in_either_language_whatever_the_case_and_accents() -> None:
    found = match_headers(
        ["\ufeffCOURRIEL", "Prenom", "nom de famille", "Téléphone", "LANGUE", "date d’embauche"],
        {k: f.label for k, f in FIELDS.items()},
    )
    assert found.columns == {
        Column.EMAIL: 0,
        Column.FIRST_NAME: 1,
        Column.LAST_NAME: 2,
        Column.PHONE: 3,
        Column.LOCALE: 4,
    }
    assert found.custom_fields == {"hired_on": 5}
    english = match_headers(["E-mail", "First Name", "last_name", "Seniority"], {"seniority": "x"})
    assert english.custom_fields == {"seniority": 3}


def test_a_file_without_an_email_column_or_with_a_column_twice_is_refused() -> None:
    with pytest.raises(HeaderProblem, match="e-mail"):
        match_headers(["Prénom", "Nom"], {})
    with pytest.raises(HeaderProblem, match="same thing"):
        match_headers(["Courriel", "E-mail"], {})


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        (45292, "2024-01-01"),  # Excel's serial number
        ("45292", "2024-01-01"),
        ("15/03/2024", "2024-03-15"),
        ("2024-03-15", "2024-03-15"),
        (datetime(2024, 2, 29, 0, 0), "2024-02-29"),
        ("2024-02-29T00:00:00", "2024-02-29"),
    ],
)
def test_spreadsheet_dates_are_read_as_dates(cell: object, stored: str) -> None:
    row, errors = clean({"email": "a@example.com", "hired_on": cell})
    assert errors == []
    assert row is not None
    assert row.custom_fields == {"hired_on": stored}


def test_numbers_with_a_decimal_comma_and_yes_no_as_one_zero() -> None:
    row, errors = clean({"email": "a@example.com", "seniority": "3,5", "full_time": 1})
    assert errors == []
    assert row is not None
    assert row.custom_fields == {"seniority": 3.5, "full_time": True}


def test_wrong_values_are_each_said() -> None:
    row, errors = clean(
        {"email": "nope", "hired_on": "demain", "locale": "de", "first_name": "=1+1"}
    )
    assert row is None
    text = " ".join(errors)
    for words in ("not a valid e-mail", "hired_on", "fr or en", "formula"):
        assert words in text


def test_a_role_the_importer_may_not_grant_is_an_error() -> None:
    _, errors = clean({"email": "a@example.com", "role": "Admin"})
    assert errors == ["role: you may not grant the role 'admin'."]
    row, errors = clean({"email": "a@example.com", "role": "Admin"}, may_grant_admin=True)
    assert errors == []
    assert row is not None


def test_what_a_row_would_do() -> None:
    ctx = context()
    row, _ = clean_row(
        ImportRow(2, {"email": "a@example.com", "first_name": "Ana", "groups": "Soins"}), ctx
    )
    assert row is not None
    assert plan_row(row, None, ctx).plan is RowPlan.ERROR  # a new user needs a last name
    existing = ExistingUser(
        id=uuid.uuid4(),
        first_name="Ana",
        last_name="Lima",
        phone=None,
        locale="fr",
        role="learner",
        custom_fields={},
        groups=frozenset({"soins"}),
        is_active_admin=False,
    )
    assert plan_row(row, existing, ctx).plan is RowPlan.UNCHANGED
    renamed, _ = clean_row(ImportRow(3, {"email": "a@example.com", "first_name": "Anna"}), ctx)
    assert renamed is not None
    verdict = plan_row(renamed, existing, ctx)
    assert verdict.plan is RowPlan.UPDATE
    assert verdict.changes == ("first_name",)
    unknown, _ = clean_row(ImportRow(4, {"email": "b@example.com", "groups": "Neuf"}), ctx)
    assert unknown is not None
    assert "no such group: Neuf" in plan_row(unknown, existing, ctx).message
    creating = context(create_groups=True)
    assert plan_row(unknown, existing, creating).new_groups == ("Neuf",)


@pytest.mark.parametrize(
    "address",
    [
        "Marie.Tremblay@Example.COM",
        "o'neil+tag@example.com",
        "zoé@exemple.ca",
        "a..b@example.com",
        ".a@example.com",
        "a@localhost",
        "a@-bad-.com",
        "a@example",
        "x" * 65 + "@example.com",
        "a@b@example.com",
        "ａdmin@example.com",
        "аdmin@example.com",
        "ops@pаy.example.com",
        "zoe@bücher.example.com",
    ],
)
@pytest.mark.parametrize("smtputf8", [False, True])
def test_addresses_are_judged_as_the_invitation_route_judges_them(
    address: str, smtputf8: bool
) -> None:
    """email-validator's normal form, for an address `address_problem` takes (non-ASCII
    before the @ only with EMAIL_SMTPUTF8)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        expected: str | None = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        expected = None
    if address_problem(address, smtputf8=smtputf8) is not None:
        expected = None
    row, errors = clean({"email": address}, smtputf8=smtputf8)
    assert (row.email if row else None) == expected, errors
