"""Bulk actions over every user a filter matches: preview (count, sample, refusals by rule),
then a job with progress and per-user results, the single-user routes' rules and events;
one running job per tenant and action, cancellation, and no reach into another tenant."""

import asyncio
import json
import uuid
from typing import Any

import asyncpg

from services.directory.settings import DirectorySettings
from tests.support.directory import Lms, add_learners, new_tenant, problem
from tests.support.servers import RunningServer

MANY = 1500


async def wait_job(lms: Lms, job_id: str) -> dict[str, Any]:
    for _ in range(600):
        job: dict[str, Any] = (await lms.admin.get(f"/api/v1/users/bulk/{job_id}")).json()
        if job["state"] not in ("queued", "running"):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"the job did not end: {job}")


async def cohort(lms: Lms, sql: asyncpg.Pool, name: str = "Cohorte") -> str:
    group: dict[str, Any] = (await lms.admin.post("/api/v1/groups", json={"name": name})).json()
    await add_learners(sql, lms.tenant.id, group["id"], MANY)
    return str(group["id"])


async def test_deactivating_a_filter_of_thousands_refuses_by_rule_and_does_the_rest(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    group_id = await cohort(lms, directory_sql)
    await add_learners(directory_sql, lms.tenant.id, group_id, 3, status="deactivated")
    admin = str(lms.tenant.admin_id)
    joined = await lms.admin.put(f"/api/v1/groups/{group_id}/members/{admin}")
    assert joined.status_code < 300, joined.text
    body = {"action": "deactivate", "filters": {"group": [group_id]}, "params": {"reason": "Fin"}}

    preview = await lms.admin.post("/api/v1/users/bulk", json=body)

    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["count"] == MANY + 4
    assert shown["refusals"] == {"self": 1, "already_deactivated": 3}
    assert shown["would_act_on"] == MANY
    assert len(shown["sample"]) == 10
    assert (
        await directory_sql.fetchval(
            "SELECT count(*) FROM users WHERE tenant_id = $1 AND status = 'deactivated'",
            lms.tenant.id,
        )
        == 3
    )  # a preview changes nothing

    started = await lms.admin.post("/api/v1/users/bulk", json={**body, "confirm": True})

    assert started.status_code == 202, started.text
    job = await wait_job(lms, started.json()["id"])
    assert job["state"] == "done"
    assert job["total"] == job["processed"] == MANY + 4
    assert job["counts"] == {"updated": MANY, "refused": 4}
    assert (
        await directory_sql.fetchval(
            "SELECT count(*) FROM users WHERE tenant_id = $1 AND status = 'deactivated'"
            " AND deactivation_reason = 'Fin'",
            lms.tenant.id,
        )
        == MANY
    )
    events = await lms.bus.wait_for(
        "user.deactivated", within=60, count=MANY, tenantid=str(lms.tenant.id)
    )
    assert events[0].data["deactivation"]["reason"] == "Fin"
    results = await lms.admin.get(f"/api/v1/users/bulk/{job['id']}/results.csv")
    assert results.status_code == 200
    assert f"{admin},refused,You cannot deactivate yourself." in results.text
    assert results.text.count(",updated,") == MANY
    listed = (await lms.admin.get("/api/v1/users/bulk")).json()
    assert [j["id"] for j in listed["items"]] == [job["id"]]
    assert listed["items"][0]["created_by_email"] == lms.tenant.admin_email
    assert listed["items"][0]["counts"] == {"updated": MANY, "refused": 4}


async def test_one_running_job_per_action_and_cancelling_it(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    group_id = await cohort(lms, directory_sql)
    body = {"action": "deactivate", "filters": {"group": [group_id]}, "confirm": True}
    first = await lms.admin.post("/api/v1/users/bulk", json=body)
    assert first.status_code == 202, first.text

    second = await lms.admin.post("/api/v1/users/bulk", json=body)
    problem(second, 409, "already running")
    other_action = {**body, "action": "add_to_group", "params": {"group_id": group_id}}
    assert (await lms.admin.post("/api/v1/users/bulk", json=other_action)).status_code == 202

    cancelled = await lms.admin.post(f"/api/v1/users/bulk/{first.json()['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    job = await wait_job(lms, first.json()["id"])
    assert job["state"] == "cancelled"
    deactivated = await directory_sql.fetchval(
        "SELECT count(*) FROM users WHERE tenant_id = $1 AND status = 'deactivated'",
        lms.tenant.id,
    )
    assert deactivated == job["processed"] < MANY  # what was done stays done, no more
    again = await lms.admin.post(f"/api/v1/users/bulk/{job['id']}/cancel")
    problem(again, 409, "cancelled")
    assert (await lms.admin.post("/api/v1/users/bulk", json=body)).status_code == 202


async def test_the_list_of_jobs_is_newest_first_a_page_at_a_time(lms: Lms) -> None:
    started = []
    for action in ("reactivate", "resend_invitation", "deactivate"):
        body = {"action": action, "user_ids": [str(lms.tenant.admin_id)], "confirm": True}
        answer = await lms.admin.post("/api/v1/users/bulk", json=body)
        assert answer.status_code == 202, answer.text
        started.append(answer.json()["id"])

    first = (await lms.admin.get("/api/v1/users/bulk", params={"limit": 2})).json()
    assert first["total"] == 3
    assert [j["id"] for j in first["items"]] == started[:0:-1]
    assert first["items"][0]["action"] == "deactivate"
    cursor = {"limit": 2, "cursor": first["next_cursor"]}
    second = (await lms.admin.get("/api/v1/users/bulk", params=cursor)).json()
    assert [j["id"] for j in second["items"]] == started[:1]
    assert second["next_cursor"] is None
    bad = await lms.admin.get("/api/v1/users/bulk", params={"cursor": "nonsense"})
    problem(bad, 400, "cursor")


async def test_resending_invitations_refuses_suppressed_addresses(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    invited = [await lms.invite() for _ in range(3)]
    await directory_sql.execute(
        "UPDATE users SET email_state = 'bounced', email_bounce_kind = 'hard',"
        " invitation_requested_at = now() - interval '1 hour' WHERE tenant_id = $1 AND id = $2",
        lms.tenant.id,
        uuid.UUID(invited[0]["id"]),
    )
    await directory_sql.execute(
        "UPDATE users SET invitation_requested_at = now() - interval '1 hour'"
        " WHERE tenant_id = $1 AND id = $2",
        lms.tenant.id,
        uuid.UUID(invited[1]["id"]),
    )
    ids = [u["id"] for u in invited] + [str(lms.tenant.admin_id)]
    body = {"action": "resend_invitation", "user_ids": ids}

    shown = (await lms.admin.post("/api/v1/users/bulk", json=body)).json()

    assert shown["count"] == 4
    assert shown["refusals"] == {
        "suppressed_address": 1,
        "invited_recently": 1,
        "not_invited": 1,
    }
    job = (await lms.admin.post("/api/v1/users/bulk", json={**body, "confirm": True})).json()
    done = await wait_job(lms, job["id"])
    assert done["counts"] == {"updated": 1, "refused": 3}
    [event] = await lms.bus.wait_for(
        "invitation.requested", subject=invited[1]["id"], is_resend="True"
    )
    assert event.data["email"] == invited[1]["email"]


async def test_no_reach_into_another_tenant(
    lms: Lms,
    directory_sql: asyncpg.Pool,
    directory: RunningServer,
    directory_config: DirectorySettings,
) -> None:
    group_id = await cohort(lms, directory_sql)
    mine = (await lms.admin.get("/api/v1/users", params={"group": group_id, "limit": 5})).json()
    other = await new_tenant(directory_config, directory.url, "other")
    try:
        theirs = {"action": "deactivate", "user_ids": [u["id"] for u in mine["items"]]}
        shown = (await other.admin.post("/api/v1/users/bulk", json=theirs)).json()
        assert shown["count"] == 0
        filtered = {"action": "deactivate", "filters": {"group": [group_id]}}
        assert (await other.admin.post("/api/v1/users/bulk", json=filtered)).json()["count"] == 0
        job = await lms.admin.post(
            "/api/v1/users/bulk",
            json={"action": "reactivate", "filters": {"group": [group_id]}, "confirm": True},
        )
        job_id = job.json()["id"]
        assert (await other.admin.get(f"/api/v1/users/bulk/{job_id}")).status_code == 404
        assert (await other.admin.post(f"/api/v1/users/bulk/{job_id}/cancel")).status_code == 404
        assert (await other.admin.get("/api/v1/users/bulk")).json()["items"] == []
    finally:
        await other.admin.aclose()


async def test_a_learner_may_not_act_in_bulk(lms: Lms) -> None:
    _, client = await lms.learner()
    try:
        response = await client.post(
            "/api/v1/users/bulk", json={"action": "deactivate", "filters": {}}
        )
        problem(response, 403, "users:bulk")
    finally:
        await client.aclose()


async def test_role_custom_field_and_group_actions_announce_each_changed_user(
    lms: Lms, manager_role: str
) -> None:
    group: dict[str, Any] = (await lms.admin.post("/api/v1/groups", json={"name": "Bloc"})).json()
    field = {"key": "unit", "label": "Unité", "type": "choice", "choices": ["3B", "4C"]}
    assert (await lms.admin.post("/api/v1/custom-fields", json=field)).status_code == 201
    users = [await lms.invite(group_ids=[group["id"]]) for _ in range(3)]
    ids = [u["id"] for u in users]

    bad = await lms.admin.post(
        "/api/v1/users/bulk",
        json={
            "action": "set_custom_field",
            "user_ids": ids,
            "params": {"key": "unit", "value": "9Z"},
        },
    )
    problem(bad, 422, "unit")
    for action, params in (
        ("set_custom_field", {"key": "unit", "value": "4C"}),
        ("change_role", {"role": manager_role}),
        ("remove_from_group", {"group_id": group["id"]}),
    ):
        body = {"action": action, "user_ids": ids, "params": params, "confirm": True}
        started = await lms.admin.post("/api/v1/users/bulk", json=body)
        assert started.status_code == 202, started.text
        done = await wait_job(lms, started.json()["id"])
        assert done["counts"] == {"updated": 3}, (action, done)

    for user in users:
        profile = await lms.profile(user["id"])
        assert profile["role"] == manager_role
        assert profile["groups"] == []
        assert profile["custom_fields"] == {"unit": "4C"}, profile["custom_fields"]
        assert profile["version"] == user["version"] + 3
    kinds = [a["kind"] for a in (await lms.profile(ids[0]))["recent_activities"]]
    assert "user.role_changed" in kinds
    events = await lms.bus.wait_for("user.updated", count=9, tenantid=str(lms.tenant.id))
    last = max((e for e in events if e.body["subject"] == ids[0]), key=lambda e: e.body["version"])
    assert last.data["role"] == manager_role
    assert last.data["groups"] == []
    first = min((e for e in events if e.body["subject"] == ids[0]), key=lambda e: e.body["version"])
    assert [g["name"] for g in first.data["groups"]] == ["Bloc"]  # still a member then
    assert [v["value"] for v in first.data["custom_fields"]] == ["4C"]


async def test_a_job_whose_worker_died_is_resumed_where_it_stopped(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    """What a worker killed between two batches leaves: a running job, its lease held by a
    process that is gone (run out), some users done. Another worker takes it over and does
    the others; those done are not done again."""
    group: dict[str, Any] = (
        await lms.admin.post("/api/v1/groups", json={"name": "Reprise"})
    ).json()
    await add_learners(directory_sql, lms.tenant.id, group["id"], 40)
    admin = await directory_sql.fetchrow(
        "SELECT role, (SELECT permissions FROM roles WHERE key = 'admin') AS perms"
        " FROM users WHERE tenant_id = $1 AND id = $2",
        lms.tenant.id,
        lms.tenant.admin_id,
    )
    assert admin is not None
    job_id = uuid.uuid4()
    params = {
        "reason": "Reprise",
        "filters": {"group": [group["id"]]},
        "user_ids": None,
        "resend_interval_seconds": 60,
        "actor_role": admin["role"],
        "actor_permissions": list(admin["perms"]),
    }
    async with directory_sql.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO bulk_jobs (tenant_id, id, kind, action, state, params, created_by,"
            " started_at, expires_at, total, processed, counts, lease_owner, lease_expires_at)"
            " VALUES ($1, $2, 'bulk', 'deactivate', 'running', $3::jsonb, $4, now(),"
            " now() + interval '7 days', 40, 15, '{\"updated\": 15}', $5, now() - interval '1 s')",
            lms.tenant.id,
            job_id,
            json.dumps(params),
            lms.tenant.admin_id,
            uuid.uuid4(),
        )
        await connection.execute(
            "INSERT INTO bulk_job_items (tenant_id, job_id, user_id, outcome)"
            " SELECT $1, $2, user_id, CASE WHEN row_number() OVER (ORDER BY user_id) <= 15"
            " THEN 'updated' END FROM user_groups WHERE tenant_id = $1 AND group_id = $3",
            lms.tenant.id,
            job_id,
            uuid.UUID(group["id"]),
        )

    job = await wait_job(lms, str(job_id))

    assert job["state"] == "done"
    assert job["processed"] == 40
    assert job["counts"] == {"updated": 40}
    deactivated = await directory_sql.fetchval(
        "SELECT count(*) FROM users u JOIN bulk_job_items i ON i.tenant_id = u.tenant_id"
        " AND i.user_id = u.id AND i.job_id = $2 WHERE u.tenant_id = $1"
        " AND u.status = 'deactivated' AND u.deactivation_reason = 'Reprise'",
        lms.tenant.id,
        job_id,
    )
    assert deactivated == 25  # the 15 the dead worker had recorded were not done again


async def test_a_job_that_cannot_start_ends_failed_with_why(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    """A job confirmed on users a custom field's value chooses, the field deleted before
    the job started (the runner was busy with another): the job ends as failed, saying why,
    instead of being started again and again; the runner goes on with the next job."""
    field = {"key": "cohort", "label": "Cohorte", "type": "choice", "choices": ["2025", "2026"]}
    created = await lms.admin.post("/api/v1/custom-fields", json=field)
    assert created.status_code == 201, created.text
    filters = {"field.cohort": "2026"}
    preview = await lms.admin.post(
        "/api/v1/users/bulk", json={"action": "deactivate", "filters": filters}
    )
    assert preview.status_code == 200, preview.text  # the filter was good when confirmed
    deleted = await lms.admin.delete(f"/api/v1/custom-fields/{created.json()['id']}")
    assert deleted.status_code == 204, deleted.text
    job_id = uuid.uuid4()
    params: dict[str, Any] = {
        "reason": None,
        "filters": filters,
        "user_ids": None,
        "resend_interval_seconds": 60,
        "actor_role": "admin",
        "actor_permissions": [],
    }
    await directory_sql.execute(
        "INSERT INTO bulk_jobs (tenant_id, id, kind, action, state, params, created_by,"
        " expires_at) VALUES ($1, $2, 'bulk', 'deactivate', 'queued', $3::jsonb, $4,"
        " now() + interval '7 days')",
        lms.tenant.id,
        job_id,
        json.dumps(params),
        lms.tenant.admin_id,
    )

    job = await wait_job(lms, str(job_id))

    assert job["state"] == "failed"
    assert job["error"] == "field.cohort: there is no custom field with this key."
    assert job["processed"] == 0
    listed = (await lms.admin.get("/api/v1/users/bulk")).json()
    assert listed["items"][0]["id"] == str(job_id)
    assert listed["items"][0]["error"] == job["error"]
    following = await lms.admin.post(
        "/api/v1/users/bulk",
        json={"action": "deactivate", "user_ids": [str(lms.tenant.admin_id)], "confirm": True},
    )
    assert following.status_code == 202, following.text  # none of this action runs any more
    assert (await wait_job(lms, following.json()["id"]))["state"] == "done"
