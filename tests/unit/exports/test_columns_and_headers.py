from services.exports.domain.columns import (
    FIXED_COLUMNS,
    CellKind,
    CustomFieldColumn,
    FieldType,
    export_columns,
)
from services.exports.domain.rows import ExportRow
from services.exports.i18n import LANGUAGES, header_row, messages, sheet_title

FIELDS = [
    CustomFieldColumn("hired_on", "Date d'embauche", FieldType.DATE),
    CustomFieldColumn("department", "Service", FieldType.CHOICE),
    CustomFieldColumn("seniority", "Ancienneté", FieldType.NUMBER),
    CustomFieldColumn("mentor", "Mentor?", FieldType.YES_NO),
]

EXPECTED_ENGLISH = [
    "First name",
    "Last name",
    "E-mail",
    "Phone",
    "Language",
    "Role",
    "Status",
    "Groups",
    "Invitation",
    "Invitation first sent",
    "Invitation last sent",
    "E-mail state",
    "Bounce kind",
    "Bounce reason",
    "Bounce date",
    "Created",
    "Last login",
    "Deactivated",
    "Deactivated by",
    "Deactivation reason",
]


def test_fixed_columns_then_custom_fields_in_the_tenants_order() -> None:
    columns = export_columns(FIELDS)

    assert [c.name for c in columns[: len(FIXED_COLUMNS)]] == [
        "first_name",
        "last_name",
        "email",
        "phone",
        "locale",
        "role",
        "status",
        "groups",
        "invitation_state",
        "invitation_first_sent_at",
        "invitation_last_sent_at",
        "email_state",
        "bounce_kind",
        "email_reason",
        "email_changed_at",
        "created_at",
        "last_login_at",
        "deactivated_at",
        "deactivated_by",
        "deactivation_reason",
    ]
    custom = columns[len(FIXED_COLUMNS) :]
    assert [c.name for c in custom] == [
        "field.hired_on",
        "field.department",
        "field.seniority",
        "field.mentor",
    ]
    assert [c.kind for c in custom] == [
        CellKind.DATE,
        CellKind.TEXT,
        CellKind.NUMBER,
        CellKind.BOOLEAN,
    ]


def test_fixed_columns_are_the_first_fields_of_a_row() -> None:
    names = [c.name for c in FIXED_COLUMNS]
    assert tuple(names) == ExportRow._fields[: len(names)]


def test_english_headers() -> None:
    headers = header_row(export_columns(FIELDS), "en")
    assert headers == [*EXPECTED_ENGLISH, "Date d'embauche", "Service", "Ancienneté", "Mentor?"]


def test_french_headers() -> None:
    headers = header_row(export_columns(FIELDS[:1]), "fr")
    assert headers[:4] == ["Prénom", "Nom", "Courriel", "Téléphone"]
    assert headers[6:8] == ["Statut", "Groupes"]
    assert headers[-5:-1] == [
        "Dernière connexion",
        "Désactivé le",
        "Désactivé par",
        "Motif de la désactivation",
    ]
    assert headers[-1] == "Date d'embauche"  # the tenant's own label, not translated
    assert sheet_title("fr") == "Utilisateurs"
    assert sheet_title("en") == "Users"


def test_every_header_has_a_french_text_of_its_own() -> None:
    french = messages("fr")
    for column in FIXED_COLUMNS:
        assert french.get(column.header), f"no French header for {column.header!r}"
    translated = [french[c.header] for c in FIXED_COLUMNS]
    assert len(set(translated)) == len(translated)
    assert "Courriel" in translated


def test_both_catalogues_load() -> None:
    for language in LANGUAGES:
        assert messages(language)["Users"]


def test_a_formula_in_a_custom_fields_label_is_neutralised() -> None:
    fields = [CustomFieldColumn("x", "=cmd|' /C calc'!A0", FieldType.TEXT)]
    assert header_row(export_columns(fields), "en")[-1] == "'=cmd|' /C calc'!A0"
