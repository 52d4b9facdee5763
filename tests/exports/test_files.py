"""Exports requested, built in the background and downloaded: CSV and XLSX read back as a
spreadsheet would, formulas neutralised while numbers and dates stay numbers and dates."""

import io
from datetime import UTC, datetime

import openpyxl

from shared.contracts.users import (
    BounceKind,
    Deactivation,
    EmailState,
    EmailSummary,
    InvitationState,
    InvitationSummary,
    UserStatus,
)
from tests.exports.conftest import Population
from tests.support.exports import export_and_wait, read_csv

FIELDS = [("department", "text", '=HYPERLINK("http://evil")'), ("seniority", "number", -3)]


async def some_users(population: Population) -> None:
    make = population.make
    admin = make.user(
        id=population.admin_id,
        first_name="Ada",
        last_name="Admin",
        role="admin",
        email="ada@example.com",
        locale="en",
        status=UserStatus.ACTIVE,
    )
    await population.add(
        [
            admin,
            make.user(
                first_name="Émile 😀", last_name="Bélanger", group_names=["Ventes"], fields=FIELDS
            ),
            make.user(
                first_name="=1+2",
                last_name="Côté",
                phone="-514 555 0101",
                fields=[("department", "text", "TI"), ("seniority", "number", 12)],
            ),
            make.user(
                first_name="Zoé",
                last_name="Tremblay",
                status=UserStatus.DEACTIVATED,
                deactivation=Deactivation(
                    at=datetime(2025, 3, 1, 12, tzinfo=UTC), by=population.admin_id, reason="@left"
                ),
                invitation=InvitationSummary(
                    state=InvitationState.ACCEPTED,
                    first_sent_at=datetime(2025, 1, 2, 15, tzinfo=UTC),
                ),
                email_status=EmailSummary(
                    state=EmailState.BOUNCED, bounce_kind=BounceKind.HARD, reason="550 no such user"
                ),
            ),
        ]
    )


async def test_a_csv_export_holds_the_filtered_users_in_order(population: Population) -> None:
    await some_users(population)
    async with population.stack.admin(population.tenant_id, population.admin_id) as admin:
        job = await export_and_wait(
            admin, {"format": "csv", "filters": {"role": "learner"}, "language": "fr"}
        )
        assert job["state"] == "done", job
        assert job["row_count"] == 3
        assert job["progress"] == {"rows_written": 3, "rows_expected": 3}
        answer = await admin.get(f"/api/v1/exports/{job['id']}/file")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    day = job["created_at"][:10]
    assert f'filename="users-{day}-' in disposition
    assert f'{job["id"][:8]}.csv"' in disposition
    assert str(population.tenant_id)[:8] not in disposition
    assert int(answer.headers["content-length"]) == job["size_bytes"] == len(answer.content)
    header, *rows = read_csv(answer.content)
    assert header[0] == "Prénom"  # the language asked for
    assert header[-2:] == ["Department", "Seniority"]
    assert [r[1] for r in rows] == ["Bélanger", "Côté", "Tremblay"]  # by name
    emile, cote, zoe = rows
    assert emile[0] == "Émile 😀"
    assert emile[-2:] == ['\'=HYPERLINK("http://evil")', "-3"]  # text neutralised, number kept
    assert cote[0] == "'=1+2"
    assert cote[3] == "'-514 555 0101"
    assert "ada@example.com" in zoe
    assert "@left" not in zoe
    assert "'@left" in zoe
    assert "hard" in zoe
    assert "550 no such user" in zoe


async def test_an_xlsx_export_has_typed_cells(population: Population) -> None:
    await some_users(population)
    async with population.stack.admin(population.tenant_id, population.admin_id) as admin:
        job = await export_and_wait(
            admin, {"format": "xlsx", "filters": {"q": "tremblay bélanger côté", "status": []}}
        )
        assert job["state"] == "done", job
        assert job["row_count"] == 0  # every term must be found in one user
        job = await export_and_wait(admin, {"format": "xlsx", "sort": "-name"})
        answer = await admin.get(f"/api/v1/exports/{job['id']}/file")
    assert answer.status_code == 200
    assert '.xlsx"' in answer.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "First name"  # the admin's language: en
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref is not None
    names = [r[1] for r in rows[1:]]
    assert names == ["Tremblay", "Côté", "Bélanger", "Admin"]  # -name
    zoe, cote, emile = rows[1], rows[2], rows[3]
    assert cote[0] == "'=1+2"
    assert emile[-2:] == ('\'=HYPERLINK("http://evil")', -3)
    assert isinstance(zoe[header_index(rows[0], "Deactivated")], datetime)
    assert zoe[header_index(rows[0], "Deactivated by")] == "ada@example.com"


def header_index(header: tuple[object, ...], name: str) -> int:
    return header.index(name)


async def test_a_range_of_the_file(population: Population) -> None:
    await some_users(population)
    async with population.stack.admin(population.tenant_id, population.admin_id) as admin:
        job = await export_and_wait(admin, {"format": "csv"})
        whole = (await admin.get(f"/api/v1/exports/{job['id']}/file")).content
        part = await admin.get(f"/api/v1/exports/{job['id']}/file", headers={"Range": "bytes=3-12"})
        tail = await admin.get(f"/api/v1/exports/{job['id']}/file", headers={"Range": "bytes=-5"})
    assert part.status_code == 206
    assert part.content == whole[3:13]
    assert part.headers["content-range"] == f"bytes 3-12/{len(whole)}"
    assert tail.content == whole[-5:]


async def test_the_admin_lists_their_recent_exports(population: Population) -> None:
    await some_users(population)
    async with population.stack.admin(population.tenant_id, population.admin_id) as admin:
        first = await export_and_wait(admin, {"format": "csv"})
        second = await export_and_wait(admin, {"format": "xlsx"})
        listed = (await admin.get("/api/v1/exports")).json()["items"]
    assert [j["id"] for j in listed] == [second["id"], first["id"]]
    assert listed[0]["file_url"] == f"/api/v1/exports/{second['id']}/file"
