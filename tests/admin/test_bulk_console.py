"""Bulk actions on the users ticked in the directory, through the console's forms (no
JavaScript): what the action still needs is asked, the preview names the group, and the
confirmation does exactly what was previewed."""

import asyncio
import json
import re
import uuid
from typing import Any

import asyncpg

from tests.support.admin import ConsoleBrowser
from tests.support.directory import Tenant, add_learners


async def test_ticked_users_are_added_to_the_group_chosen(
    signed_in: ConsoleBrowser, tenant: Tenant
) -> None:
    group = (await tenant.admin.post("/api/v1/groups", json={"name": "Cohorte A"})).json()
    ticked = [await tenant.invite(last_name=f"Ticked{n}") for n in range(2)]
    left = await tenant.invite(last_name="Left")
    chosen = [("scope", "selected"), ("filters", ""), ("action", "add_to_group")]
    chosen += [("user_id", u["id"]) for u in ticked]

    asked = await signed_in.post("/bulk", [*chosen, ("step", "preview")])
    assert asked.status_code == 200
    assert "Choose the group." in asked.text
    assert "On the 2 users ticked." in asked.text

    preview = await signed_in.post(
        "/bulk", [*chosen, ("group_id", group["id"]), ("step", "preview")]
    )
    assert "Group: Cohorte A" in preview.text
    assert "2 users match." in preview.text
    assert "Confirm for 2 users" in preview.text
    kept = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', preview.text)
    confirmed = await signed_in.post(
        "/bulk", [(n, v) for n, v in kept if n != "csrf_token"] + [("step", "confirm")]
    )
    assert confirmed.status_code == 303
    job_page = confirmed.headers["location"]
    assert job_page.startswith("/bulk/")

    for _ in range(100):
        page = await signed_in.get(job_page)
        if "Download the results (CSV)" in page.text:
            break
        await asyncio.sleep(0.1)
    assert "Updated: 2" in page.text
    members = (await tenant.admin.get("/api/v1/users", params={"group": group["id"]})).json()
    assert sorted(u["id"] for u in members["items"]) == sorted(u["id"] for u in ticked)
    assert left["id"] not in {u["id"] for u in members["items"]}
    results = await signed_in.get(f"{job_page}/results.csv")
    assert results.headers["content-type"].startswith("text/csv")
    assert results.text.count(",updated,") == 2


async def test_a_running_bulk_action_is_listed_and_stopped_from_the_list(
    signed_in: ConsoleBrowser, tenant: Tenant, directory_sql: asyncpg.Pool
) -> None:
    group = (await tenant.admin.post("/api/v1/groups", json={"name": "Promotion"})).json()
    await add_learners(directory_sql, tenant.id, group["id"], 3000)
    body = {"action": "deactivate", "filters": {"group": [group["id"]]}, "confirm": True}
    started = (await tenant.admin.post("/api/v1/users/bulk", json=body)).json()

    listed = await signed_in.get("/bulk")
    assert listed.status_code == 200
    stop = f'action="/bulk/{started["id"]}/cancel"'
    assert stop in listed.text  # still running: 3,000 users take several batches
    assert "Ada Admin" in listed.text
    stopped = await signed_in.post(f"/bulk/{started['id']}/cancel", {"back": "list"})
    assert stopped.status_code == 303
    assert stopped.headers["location"] == "/bulk"

    for _ in range(300):
        job = (await tenant.admin.get(f"/api/v1/users/bulk/{started['id']}")).json()
        if job["state"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.1)
    assert job["state"] == "cancelled"
    assert job["processed"] < 3000
    after = await signed_in.get("/bulk")
    assert stop not in after.text
    assert "Cancelled" in after.text
    assert f'href="/bulk/{started["id"]}/results.csv"' in after.text


async def test_a_bulk_action_that_could_not_start_is_listed_as_failed_with_why(
    signed_in: ConsoleBrowser, tenant: Tenant, directory_sql: asyncpg.Pool
) -> None:
    """A job confirmed on a custom field's value, the field deleted before the job started:
    the list and the job's page say it failed, and why."""
    field = {"key": "site", "label": "Site", "type": "text"}
    created = (await tenant.admin.post("/api/v1/custom-fields", json=field)).json()
    assert (await tenant.admin.delete(f"/api/v1/custom-fields/{created['id']}")).status_code == 204
    job_id = uuid.uuid4()
    params: dict[str, Any] = {"reason": None, "filters": {"field.site": "Laval"}}
    params |= {"user_ids": None, "resend_interval_seconds": 60, "actor_role": "admin"}
    params["actor_permissions"] = []
    await directory_sql.execute(
        "INSERT INTO bulk_jobs (tenant_id, id, kind, action, state, params, created_by,"
        " expires_at) VALUES ($1, $2, 'bulk', 'deactivate', 'queued', $3::jsonb, $4,"
        " now() + interval '7 days')",
        tenant.id,
        job_id,
        json.dumps(params),
        tenant.admin_id,
    )
    for _ in range(300):
        job = (await tenant.admin.get(f"/api/v1/users/bulk/{job_id}")).json()
        if job["state"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.1)
    assert job["state"] == "failed"

    listed = await signed_in.get("/bulk")
    why = "field.site: there is no custom field with this key."
    row = listed.text[listed.text.index(f'href="/bulk/{job_id}"') :].split("</tr>")[0]
    assert "Failed" in row
    assert why in row
    page = await signed_in.get(f"/bulk/{job_id}")
    assert f"Why it failed: {why}" in page.text
