"""Importing users from a file: a messy CSV previewed then applied, an XLSX, re-applying,
cancelling, and files that are not what they should be (nothing written)."""

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import pytest
from openpyxl import Workbook

from services.directory.domain.addresses import address_skeleton
from services.directory.settings import DirectorySettings
from tests.support.directory import Lms, directory_settings, new_tenant, problem, start_directory
from tests.support.servers import RunningServer

MESSY_CSV = (
    "\ufeffCourriel;PRÉNOM;Nom de famille;Téléphone;Langue;Rôle;Groupes;Date d'embauche;Matricule\n"
    "marie.tremblay@example.com;Marie;Tremblay;5145550100;fr;learner;Soins;45292;A1\n"
    "\n"
    "jean.roy@example.com;Jean;Roy;;EN;;Soins, Urgence;15/03/2024;A2\n"
    "marie.tremblay@example.com;Marie;Tremblay;5145550100;fr;learner;Soins;45292;A1\n"
    "pas-une-adresse;Paul;Gagnon;;fr;;;;A3\n"
    "luc.cote@example.com;Luc;Côté;;fr;;Inconnu;2024-01-01;A4\n"
    "=cmd@example.com;Eve;Hack;;fr;;;;A5\n"
    'eve.formula@example.com;=HYPERLINK("http://x");Hack;;fr;;;;A6\n'
    "ana.dates@example.com;Ana;Lima;;fr;;;pas une date;A7\n"
    "chef@example.com;Chef;Boss;;fr;admin;;;A8\n"
    ";;;;;;;;\n"
)


async def setup_tenant(lms: Lms) -> dict[str, Any]:
    soins: dict[str, Any] = (await lms.admin.post("/api/v1/groups", json={"name": "Soins"})).json()
    await lms.admin.post("/api/v1/groups", json={"name": "Urgence"})
    for field in (
        {"key": "hired_on", "label": "Date d'embauche", "type": "date"},
        {"key": "badge", "label": "Matricule", "type": "text"},
    ):
        assert (await lms.admin.post("/api/v1/custom-fields", json=field)).status_code == 201
    return soins


async def upload(lms: Lms, name: str, content: bytes, **form: str) -> Any:
    return await lms.admin.post(
        "/api/v1/imports", files={"file": (name, content)}, data=form or None
    )


async def wait_job(lms: Lms, import_id: str) -> dict[str, Any]:
    for _ in range(200):
        body = (await lms.admin.get(f"/api/v1/imports/{import_id}")).json()
        if body["job"] and body["job"]["state"] not in ("queued", "running"):
            found: dict[str, Any] = body
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"the import's job did not end: {body['job']}")


async def count_users(sql: asyncpg.Pool, lms: Lms) -> int:
    return int(await sql.fetchval("SELECT count(*) FROM users WHERE tenant_id = $1", lms.tenant.id))


async def test_a_messy_csv_is_previewed_row_by_row_then_applied(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    soins = await setup_tenant(lms)
    before = await count_users(directory_sql, lms)

    response = await upload(lms, "cohorte.csv", MESSY_CSV.encode())

    assert response.status_code == 201, response.text
    preview = response.json()
    assert preview["file_kind"] == "csv"
    assert set(preview["columns"]) >= {"email", "first_name", "groups", "hired_on", "badge"}
    rows = {r["row"]: r for r in preview["rows"]}
    assert preview["counts"] == {"rows": 9, "create": 3, "error": 6}, rows
    assert rows[2]["plan"] == "create"
    assert rows[2]["email"] == "marie.tremblay@example.com"
    assert rows[4]["plan"] == "create"  # the blank line 3 is skipped, numbers kept
    assert "row 2" in rows[5]["message"]  # the duplicate
    assert "not a valid e-mail" in rows[6]["message"]
    assert "no such group: Inconnu" in rows[7]["message"]
    assert "formula" in rows[8]["message"]
    assert "formula" in rows[9]["message"]
    assert "hired_on" in rows[10]["message"]
    assert rows[11]["plan"] == "create"  # an admin may grant the admin role
    assert await count_users(directory_sql, lms) == before  # a dry run writes no user

    applied = await lms.admin.post(
        f"/api/v1/imports/{preview['id']}/apply", json={"send_invitations": True}
    )
    assert applied.status_code == 202, applied.text
    done = await wait_job(lms, preview["id"])

    assert done["job"]["state"] == "done"
    assert done["job"]["counts"] == {"created": 3, "refused": 6}
    assert await count_users(directory_sql, lms) == before + 3
    marie = await lms.bus.wait_for("user.created", email="marie.tremblay@example.com")
    data = marie[0].data
    assert data["first_name"] == "Marie"
    assert data["phone"] == "5145550100"
    assert [g["name"] for g in data["groups"]] == ["Soins"]
    fields = {f["key"]: f["value"] for f in data["custom_fields"]}
    assert fields == {"hired_on": "2024-01-01", "badge": "A1"}  # Excel serial 45292
    jean = (await lms.bus.wait_for("user.created", email="jean.roy@example.com"))[0].data
    assert jean["locale"] == "en"
    assert {g["name"] for g in jean["groups"]} == {"Soins", "Urgence"}
    assert {f["key"]: f["value"] for f in jean["custom_fields"]}["hired_on"] == "2024-03-15"
    await lms.bus.wait_for("invitation.requested", subject=data["id"])
    in_soins = (await lms.admin.get("/api/v1/users", params={"group": soins["id"]})).json()
    assert {"marie.tremblay@example.com", "jean.roy@example.com"} <= {  # group_ids kept
        u["email"] for u in in_soins["items"]
    }

    results = await lms.admin.get(f"/api/v1/imports/{preview['id']}/results.csv")
    assert results.status_code == 200
    lines = results.text.splitlines()
    assert lines[0].startswith("row,email")
    assert any(line.startswith("8,'=cmd@example.com") for line in lines), lines


async def test_applying_again_does_nothing_twice(lms: Lms, directory_sql: asyncpg.Pool) -> None:
    content = b"email,first name,last name\nonce@example.com,Once,Only\n"
    preview = (await upload(lms, "once.csv", content)).json()
    first = await lms.admin.post(f"/api/v1/imports/{preview['id']}/apply")
    assert first.status_code == 202
    await wait_job(lms, preview["id"])
    again = await lms.admin.post(f"/api/v1/imports/{preview['id']}/apply")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    same_file = (await upload(lms, "once.csv", content)).json()
    assert same_file["counts"] == {"rows": 1, "unchanged": 1}
    listed = {i["id"]: i["job"] for i in (await lms.admin.get("/api/v1/imports")).json()}
    assert listed[same_file["id"]] is None  # previewed only
    assert listed[preview["id"]]["state"] == "done"
    assert listed[preview["id"]]["counts"] == {"created": 1}
    rows = await directory_sql.fetchval(
        "SELECT count(*) FROM users WHERE tenant_id = $1 AND email_normalized = $2",
        lms.tenant.id,
        "once@example.com",
    )
    created = await directory_sql.fetchval(
        "SELECT count(*) FROM outbox"
        " WHERE routing_key = 'user.created' AND position($1 in body) > 0",
        "once@example.com",
    )
    assert rows == 1
    assert created == 1


async def test_an_xlsx_file_is_imported_with_its_dates(lms: Lms) -> None:
    await setup_tenant(lms)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["E-mail", "First name", "Last name", "Hired on", "Badge"])
    sheet.append(["xl@example.com", "Xavier", "Lapointe", datetime(2024, 2, 29), 1234])
    buffer = io.BytesIO()
    book.save(buffer)

    response = await upload(lms, "cohort.xlsx", buffer.getvalue())

    assert response.status_code == 201, response.text
    preview = response.json()
    assert preview["file_kind"] == "xlsx"
    assert preview["counts"] == {"rows": 1, "create": 1}
    await lms.admin.post(f"/api/v1/imports/{preview['id']}/apply", json={"send_invitations": False})
    assert (await wait_job(lms, preview["id"]))["job"]["counts"] == {"created": 1}
    [event] = await lms.bus.wait_for("user.created", email="xl@example.com")
    fields = {f["key"]: f["value"] for f in event.data["custom_fields"]}
    assert fields == {"hired_on": "2024-02-29", "badge": "1234"}
    assert event.data["invitation"]["state"] == "none"


async def test_bad_files_are_refused_saying_why_and_write_nothing(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    imports = "SELECT count(*) FROM user_imports WHERE tenant_id = $1"
    cases = [
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 400, "not a CSV"),
        ("latin1.csv", "email,prénom\né@example.com,Zoé\n".encode("latin-1"), 400, "UTF-8"),
        ("fake.xlsx", b"PK\x03\x04 not really a zip", 400, "XLSX"),
        ("nothing.csv", b"", 400, "empty"),
        ("no-email.csv", b"name,phone\nA,1\n", 422, "e-mail"),
        ("big.csv", b"email\n" + b"a@example.com\n" * 100_001, 413, "100,000"),
        ("huge.csv", b"email\n" + b"x" * 10_100_000, 413, "10 MB"),
    ]
    for name, content, status, words in cases:
        response = await upload(lms, name, content)
        problem(response, status, words)
    assert await directory_sql.fetchval(imports, lms.tenant.id) == 0


async def test_another_tenant_sees_no_import(
    lms: Lms, directory: RunningServer, directory_config: DirectorySettings
) -> None:
    content = b"email,first name,last name\na@example.com,A,B\n"
    preview = (await upload(lms, "a.csv", content)).json()
    other = await new_tenant(directory_config, directory.url, "other")
    try:
        assert (await other.admin.get(f"/api/v1/imports/{preview['id']}")).status_code == 404
        applied = await other.admin.post(f"/api/v1/imports/{preview['id']}/apply")
        assert applied.status_code == 404
    finally:
        await other.admin.aclose()


@pytest.fixture
async def small_directory(
    directory_config: DirectorySettings, private_vhost: str
) -> AsyncIterator[RunningServer]:
    """A directory that takes at most 50 users a file (on its own vhost)."""
    settings = directory_settings(
        str(directory_config.database_url),
        private_vhost,
        directory_config.jwt_private_key,
        import_max_rows=50,
    )
    server = await start_directory(settings)
    yield server
    await server.stop()


async def test_an_xlsx_with_too_many_rows_is_refused_saying_the_limit(
    small_directory: RunningServer, directory_config: DirectorySettings, directory_sql: asyncpg.Pool
) -> None:
    book = Workbook(write_only=True)  # no <dimension>: the rows are counted while streaming
    sheet = book.create_sheet()
    sheet.append(["E-mail", "First name"])
    for n in range(51):
        sheet.append([f"u{n}@example.com", "Ana"])
    buffer = io.BytesIO()
    book.save(buffer)
    tenant = await new_tenant(directory_config, small_directory.url, "limits")
    try:
        response = await tenant.admin.post(
            "/api/v1/imports", files={"file": ("cohort.xlsx", buffer.getvalue())}
        )
        problem(response, 413, "more than 50 users")
    finally:
        await tenant.admin.aclose()
    imports = "SELECT count(*) FROM user_imports WHERE tenant_id = $1"
    assert await directory_sql.fetchval(imports, tenant.id) == 0


async def test_the_template_has_the_tenants_custom_fields_and_reads_back(lms: Lms) -> None:
    await setup_tenant(lms)
    choice = {"key": "site", "label": "Role", "type": "choice", "choices": ["Nord", "Sud"]}
    assert (await lms.admin.post("/api/v1/custom-fields", json=choice)).status_code == 201

    french = await lms.admin.get("/api/v1/imports/template", params={"locale": "fr"})
    english = await lms.admin.get("/api/v1/imports/template", params={"locale": "en"})

    assert french.status_code == english.status_code == 200
    headers, example = french.content.decode("utf-8-sig").splitlines()
    assert headers.split(";")[7:] == ["Matricule", "Date d'embauche", "site"]  # "Role": a column
    assert example.split(";")[7:] == ["", "2025-09-02", "Nord"]
    assert english.text.splitlines()[0].endswith(",Matricule,Date d'embauche,site")
    for filled in (french, english):
        # The example names groups the tenant doesn't have: created when asked.
        preview = (await upload(lms, "t.csv", filled.content, create_groups="true")).json()
        assert preview["ignored_columns"] == []
        assert preview["rows"][0]["message"] is None
        assert preview["counts"] == {"rows": 1, "create": 1}


async def test_an_address_taken_between_preview_and_apply_fails_its_batch_not_the_others(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    """The batch's INSERT meets a user created (by another writer) after the batch judged
    its rows: the batch fails whole on the unique address, and is tried again one row at a
    time, so the other rows are created and that row is judged again (the user exists)."""
    content = "email,first name,last name\n" + "".join(
        f"{name}@example.com,{name.title()},Roy\n" for name in ("ana", "taken", "leo", "zoe")
    )
    preview = (await upload(lms, "cohort.csv", content.encode())).json()
    assert preview["counts"] == {"rows": 4, "create": 4}
    async with directory_sql.acquire() as other_writer:
        meanwhile = other_writer.transaction()
        await meanwhile.start()
        await other_writer.execute(
            "INSERT INTO users (tenant_id, id, email, email_normalized, email_skeleton,"
            " first_name, last_name, locale, role, status) VALUES ($1, gen_random_uuid(), $2,"
            " $2, $3, 'Taken', 'Before', 'fr', 'learner', 'active')",
            lms.tenant.id,
            "taken@example.com",
            address_skeleton("taken@example.com"),
        )
        await lms.admin.post(
            f"/api/v1/imports/{preview['id']}/apply", json={"send_invitations": False}
        )
        await waiting_on_the_address(directory_sql)  # the batch judged "create" for all four
        await meanwhile.commit()  # its INSERT now fails on the unique address

    done = await wait_job(lms, preview["id"])

    assert done["job"]["state"] == "done"
    assert done["job"]["counts"] == {"created": 3, "updated": 1}
    outcomes = {r["email"]: r["outcome"] for r in done["rows"]}
    assert outcomes == {
        "ana@example.com": "created",
        "taken@example.com": "updated",
        "leo@example.com": "created",
        "zoe@example.com": "created",
    }
    taken = "SELECT count(*) FROM users WHERE tenant_id = $1 AND email_normalized = $2"
    assert await directory_sql.fetchval(taken, lms.tenant.id, "taken@example.com") == 1


async def waiting_on_the_address(sql: asyncpg.Pool) -> None:
    """Until a session is blocked inserting users (on the other writer's new address)."""
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND query ILIKE 'INSERT INTO users %'"
    )
    for _ in range(200):
        if await sql.fetchval(query):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the apply's batch never reached its INSERT")
