"""The console's list of imports follows an import while it is applied: the list asks for
itself again (htmx) as long as one runs, and stops once none does."""

import asyncio

import httpx

from tests.support.admin import ConsoleBrowser
from tests.support.directory import Tenant

POLLS = 'hx-trigger="every 2s"'
ROWS = 3000  # several batches: still running when the list is first read


def _cohort(rows: int) -> bytes:
    lines = ["E-mail;First name;Last name"]
    lines += [f"learner{n}@example.com;Learner;Number{n}" for n in range(rows)]
    return "\n".join(lines).encode()


async def _list_part(console: ConsoleBrowser) -> httpx.Response:
    headers = {"HX-Request": "true", "HX-Target": "import-list"}
    return await console.get("/imports", headers=headers)


async def test_the_import_list_follows_an_import_while_it_is_applied(
    signed_in: ConsoleBrowser, tenant: Tenant
) -> None:
    uploaded = await tenant.admin.post(
        "/api/v1/imports", files={"file": ("cohort.csv", _cohort(ROWS))}
    )
    assert uploaded.status_code == 201, uploaded.text
    import_id = uploaded.json()["id"]
    idle = await signed_in.get("/imports")
    assert "Preview (not applied)" in idle.text
    assert POLLS not in idle.text  # nothing runs: nothing to follow

    applied = await tenant.admin.post(
        f"/api/v1/imports/{import_id}/apply", json={"send_invitations": False}
    )
    assert applied.status_code == 202, applied.text
    running = await signed_in.get("/imports")
    assert f"of {ROWS:,} done" in running.text
    assert POLLS in running.text

    for _ in range(600):
        part = await _list_part(signed_in)
        if POLLS not in part.text:
            break
        await asyncio.sleep(0.1)
    assert part.status_code == 200
    assert "<html" not in part.text  # only the list, swapped in place
    assert 'id="import-list"' in part.text
    assert f"Done: {ROWS:,} of {ROWS:,} done" in " ".join(part.text.split())
