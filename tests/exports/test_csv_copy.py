"""The CSV that PostgreSQL writes (db/csv_copy.py) says what the Python rules say."""

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from services.exports.adapters.files import CsvExportWriter
from services.exports.db.csv_copy import copy_csv, csv_cell_expressions
from services.exports.domain.cells import csv_cells
from services.exports.domain.columns import export_columns
from services.exports.domain.rows import ExportRow
from services.exports.i18n import header_row
from shared.contracts.users import InvitationState
from tests.support.infra import Infrastructure, create_database, drop_database
from tests.unit.exports.support import FIELDS, a_row

ZONE = ZoneInfo("America/Toronto")
NOW = datetime(2025, 1, 1, tzinfo=UTC)
COLUMNS = export_columns(FIELDS)
FIELD_NAMES = ExportRow._fields
TABLE = sa.table(
    "export_users",
    sa.column("seq"),
    *(
        sa.column(n, JSONB if n == "custom_fields" else ARRAY(sa.Text) if n == "groups" else None)
        for n in FIELD_NAMES
    ),
)
SQL_TYPES = {"groups": "text[]", "custom_fields": "jsonb"}
DDL = "CREATE TABLE export_users (seq int PRIMARY KEY, {})".format(
    ", ".join(
        f"{n} {'timestamptz' if n.endswith('_at') else SQL_TYPES.get(n, 'text')}"
        for n in FIELD_NAMES
    )
)

ROWS = [
    a_row(),
    a_row(
        first_name="  =1+2",
        last_name="\tTab",
        email="-x@exemple.ca",
        phone=None,
        groups=(),
        email_reason='He said "no";\nthen\r\nleft, quickly',
        deactivated_by="@admin",
        deactivation_reason="\n=evil",
        invitation_state=InvitationState.SENT,  # expired on NOW
        custom_fields={"seniority": "+12", "mentor": "peut-être", "note": "", "department": None},
    ),
    a_row(
        first_name="Émile 😀",
        phone="514-555-0101",
        groups=("  @Montréal", "Ventes"),
        invitation_state=InvitationState.DELIVERED,
        invitation_expires_at=datetime(2025, 6, 1, tzinfo=UTC),  # not expired on NOW
        custom_fields={"seniority": 2.5, "mentor": False, "hired_on": "2020-02-29"},
    ),
    a_row(
        last_login_at=datetime(2024, 11, 3, 5, 30, 59, 999999, tzinfo=UTC),  # DST day
        deactivated_at=datetime(2024, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
    ),
]


@pytest.fixture
async def connection(infra: Infrastructure) -> AsyncIterator[asyncpg.Connection]:
    name = f"lms_test_{infra.run_id}_exports_copy"
    url = await create_database(infra, name)
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(DDL)
        await connection.copy_records_to_table(
            "export_users",
            records=[(seq, *_stored(row)) for seq, row in enumerate(ROWS)],
            columns=["seq", *FIELD_NAMES],
        )
        yield connection
    finally:
        await connection.close()
        await drop_database(infra, name)


def _stored(row: ExportRow) -> tuple[object, ...]:
    """The row as the projection table holds it: jsonb as JSON text, enums as their text."""
    stored = {**row._asdict(), "custom_fields": json.dumps(row.custom_fields)}
    stored["groups"] = list(row.groups)
    return tuple(str(v) if isinstance(v, str) else v for v in stored.values())


async def test_copy_writes_the_same_cells_as_the_python_rules(
    connection: asyncpg.Connection,
) -> None:
    header = header_row(COLUMNS, "fr")
    statement = sa.select(*csv_cell_expressions(COLUMNS, TABLE, NOW)).order_by(TABLE.c.seq)
    reports: list[int] = []
    from_postgres = io.BytesIO()
    rows = await copy_csv(
        connection,
        statement,
        from_postgres,
        header,
        zone=ZONE,
        delimiter=";",
        on_progress=reports.append,
        progress_every=2,
    )

    from_python = io.BytesIO()
    with CsvExportWriter(from_python, header, delimiter=";") as writer:
        writer.write_rows(map(csv_cells(COLUMNS, ZONE, NOW), ROWS))

    assert rows == len(ROWS)  # records counted right despite the quoted line breaks
    assert reports[-1] == len(ROWS)
    assert reports == sorted(set(reports))  # COPY's chunks decide how often
    assert from_postgres.getvalue().startswith("\ufeffPrénom;Nom;".encode())
    assert parsed(from_postgres) == parsed(from_python)
    second = parsed(from_postgres)[2]
    assert second[:3] == ["'  =1+2", "'\tTab", "'-x@exemple.ca"]
    assert second[8] == "expired"
    # 05:30:59.999999 UTC on the day of the change: 01:31:00 EDT, to the nearest second.
    assert parsed(from_postgres)[4][16:18] == ["2024-11-03 01:31:00", "2024-12-31 19:00:00"]


def parsed(file: io.BytesIO) -> list[list[str]]:
    text = file.getvalue().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
