"""The directory's users, exported: the directory publishes each change, the exports service
keeps its copy, and an export holds exactly the users the directory's list shows for the
same filters and sort, over many filter mixes (a field nobody has a value for included).
`republish` rebuilds an emptied copy, the fields' definitions with it."""

import asyncio
import os
import subprocess
import sys
from typing import Any

import httpx

from tests.support.directory import Tenant
from tests.support.exports import ExportsStack, export_and_wait, read_csv, until

MIXES: list[dict[str, Any]] = [
    {},
    {"status": ["invited"]},
    {"status": ["deactivated", "invited"]},
    {"role": ["learner"]},
    {"q": "tremblay"},
    {"q": "ga"},  # two letters
    {"q": "marie tremblay"},
    {"email": "EXEMPLE.ca"},
    {"invitation": ["pending"]},
    {"email_status": ["ok"]},
    {"never_logged_in": True},
    {"never_logged_in": False},
    {"field.department": "TI"},
    {"field.seniority": "3"},
    {"field.seniority": "3.0", "status": ["invited"]},
    {"field.mentor": "oui"},
    {"field.badge": "Or"},  # defined, nobody has a value yet: nobody
    {"field.department": "Ventes", "q": "roy"},
    {"created_from": "2000-01-01T00:00:00Z"},
    {"created_to": "2000-01-01T00:00:00Z"},
]
SORTS = ["name", "-name", "email", "-created_at", "last_login_at"]


async def _directory_emails(
    directory: httpx.AsyncClient, filters: dict[str, Any], sort: str
) -> list[str]:
    emails, cursor = [], None
    params: list[tuple[str, str | int | float | bool | None]] = [("sort", sort), ("limit", "200")]
    for name, value in filters.items():
        values = value if isinstance(value, list) else [value]
        params += [(name, str(v).lower() if isinstance(v, bool) else str(v)) for v in values]
    while True:
        page = await directory.get(
            "/api/v1/users", params=params + ([("cursor", cursor)] if cursor else [])
        )
        assert page.status_code == 200, page.text
        emails += [user["email"] for user in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return emails


async def _export_rows(
    exports: httpx.AsyncClient, filters: dict[str, Any], sort: str
) -> list[list[str]]:
    """The file's rows, its header first."""
    job = await export_and_wait(exports, {"format": "csv", "filters": filters, "sort": sort})
    assert job["state"] == "done", job
    return read_csv((await exports.get(f"/api/v1/exports/{job['id']}/file")).content)


async def _export_emails(
    exports: httpx.AsyncClient, filters: dict[str, Any], sort: str
) -> list[str]:
    header, *rows = await _export_rows(exports, filters, sort)
    email = header.index("Courriel") if "Courriel" in header else header.index("E-mail")
    return [row[email] for row in rows]


async def _people(tenant: Tenant) -> None:
    admin = tenant.admin
    fields = [("department", "text"), ("seniority", "number"), ("mentor", "yes_no")]
    for key, kind in [*fields, ("badge", "choice")]:
        choices = ["Or", "Argent"] if kind == "choice" else []
        made = await admin.post(
            "/api/v1/custom-fields",
            json={"key": key, "label": key.title(), "type": kind, "choices": choices},
        )
        assert made.status_code == 201, made.text
    groups = [
        (await admin.post("/api/v1/groups", json={"name": name})).json()["id"]
        for name in ("Ventes", "Équipe B", "achats")
    ]
    people = [
        ("Marie", "Tremblay", "marie.tremblay@exemple.ca", {"department": "TI", "seniority": 3}),
        ("Gabriel", "Roy", "gabriel.roy@example.com", {"department": "Ventes", "mentor": True}),
        ("Léa", "Roy", "lea.roy@exemple.ca", {"department": "Ventes", "seniority": 3.5}),
        # (Léa is in the three groups: their order in the file survives a republish.)
        ("Émile", "Gagnon", "emile.gagnon@example.com", {"mentor": False}),
        ("Zoé", "Tremblay-Côté", "zoe@example.com", {}),
        ("Ga", "Ab", "ga.ab@example.com", {"department": "=cmd"}),
    ]
    invited = [
        await tenant.invite(
            email,
            first_name=first,
            last_name=last,
            custom_fields=fields,
            group_ids=groups if first == "Léa" else [],
        )
        for first, last, email, fields in people
    ]
    gone = await admin.post(f"/api/v1/users/{invited[-2]['id']}/deactivate", json={})
    assert gone.status_code == 200, gone.text


async def test_exports_list_what_the_directory_lists(
    tenant: Tenant, exports_stack: ExportsStack, directory_db: str
) -> None:
    await _people(tenant)
    expected = 7  # the admin and six people
    await exports_stack.wait_projected(tenant.id, expected, within=30)
    token = (await tenant.admin.post("/api/v1/auth/token")).json()["access_token"]
    async with httpx.AsyncClient(
        base_url=exports_stack.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as exports:
        # The last change (the deactivation) has arrived too.
        await until(
            lambda: _export_emails(exports, {"status": ["deactivated"]}, "name"),
            lambda found: found == ["zoe@example.com"],
            within=30,
        )
        sizes = set()
        for number, filters in enumerate(MIXES):
            sort = SORTS[number % len(SORTS)]
            exported = await _export_emails(exports, filters, sort)
            assert exported == await _directory_emails(tenant.admin, filters, sort), (filters, sort)
            sizes.add(len(exported))
        assert len(sizes) >= 5, "the mixes select different users"
        unknown = await exports.post(
            "/api/v1/exports", json={"format": "csv", "filters": {"field.nope": "x"}}
        )
        assert unknown.status_code == 422, unknown.text

        whole = await _export_rows(exports, {}, "email")
        assert any("Équipe B" in cell and "achats" in cell for row in whole for cell in row)
        await exports_stack.sql.execute("DELETE FROM export_users WHERE tenant_id = $1", tenant.id)
        await exports_stack.sql.execute("DELETE FROM export_fields WHERE tenant_id = $1", tenant.id)
        republished = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "services.directory", "republish", "--tenant", tenant.slug],
            env={**os.environ, "DATABASE_URL": directory_db, "JWT_PRIVATE_KEY": "unused"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert republished.returncode == 0, republished.stderr
        assert f"republished {expected} users" in republished.stdout
        await exports_stack.wait_projected(tenant.id, expected, within=30)
        assert await _export_rows(exports, {}, "email") == whole  # every cell, groups too
        assert await _export_emails(exports, {"field.badge": "Or"}, "name") == []
