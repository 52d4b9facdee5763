"""A bulk batch builds its users' events while the database runs its statements, from the
rows as those statements will write them (the users are locked): the rows predicted are
the rows written, and a batch whose statements fail leaves nothing of it, its events
included."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import bulk as bulk_db
from services.directory.domain.bulk_rules import BulkAction
from services.directory.usecases.bulk.run_batch import WRITTEN
from shared.contracts.users import InvitationState, UserStatus
from shared.errors import ChangedMeanwhile
from tests.directory.test_bulk_actions import wait_job
from tests.support.directory import Lms, add_learners


async def members(lms: Lms, sql: asyncpg.Pool, name: str, count: int) -> list[uuid.UUID]:
    group: dict[str, Any] = (await lms.admin.post("/api/v1/groups", json={"name": name})).json()
    await add_learners(sql, lms.tenant.id, group["id"], count)
    rows = await sql.fetch(
        "SELECT user_id FROM user_groups WHERE tenant_id = $1 AND group_id = $2 ORDER BY user_id",
        lms.tenant.id,
        uuid.UUID(group["id"]),
    )
    return [row["user_id"] for row in rows]


async def test_the_rows_a_batch_predicts_are_the_rows_its_statements_write(
    lms: Lms, directory_sql: asyncpg.Pool, session: AsyncSession
) -> None:
    ids = await members(lms, directory_sql, "Prévus", 3)
    now = datetime.now(UTC)
    values = {
        "status": UserStatus.DEACTIVATED,
        "deactivated_at": now,
        "deactivated_by": lms.tenant.admin_id,
        "deactivation_reason": "Prévu",
    }
    found = await bulk_db.users_with_roles(session, lms.tenant.id, ids)
    predicted = [vars(bulk_db.as_written(row, values, now)) for row, _ in found]
    columns = [(name, kind, [values[name]] * 3) for name, kind in WRITTEN[BulkAction.DEACTIVATE]]

    await bulk_db.update_users(session, lms.tenant.id, ids, columns, now)

    written = await bulk_db.users_with_roles(session, lms.tenant.id, ids)
    assert [row._asdict() for row, _ in written] == predicted
    assert [row["version"] for row in predicted] == [2, 2, 2]
    # And as `write_users` reads them back, for the columns of every other action.
    others = {
        "status": UserStatus.ACTIVE,
        "custom_fields": {str(uuid.uuid4()): "4C"},
        "role": "admin",
        "invitation_request_id": uuid.uuid4(),
        "invitation_state": InvitationState.PENDING,
        "invitation_requested_at": now,
        "invitation_resend_count": 1,
    }
    predicted = [vars(bulk_db.as_written(row, others, now)) for row, _ in written]
    kinds = {name: kind for action in BulkAction for name, kind in WRITTEN[action]}
    columns = [(name, kinds[name], [value] * 3) for name, value in others.items()]
    returned = await bulk_db.write_users(session, lms.tenant.id, ids, columns, now)
    by_id = sorted(returned, key=lambda row: ids.index(row.id))  # RETURNING has no order
    assert [{**row._asdict(), "is_admin": False} for row in by_id] == predicted
    with pytest.raises(ChangedMeanwhile):  # every user of a batch is written, or none
        await bulk_db.update_users(session, lms.tenant.id, [*ids, uuid.uuid4()], [], now)


async def test_a_batch_whose_statement_fails_leaves_nothing_of_it_not_even_its_events(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    """The batch's users' events are built while its statements run; one of those fails
    (here: revoking one user's session, refused by a trigger). Nothing of the batch stays:
    its users are then done one at a time, that one recorded as failed, and each other
    user changed once, with one event and one activity."""
    ids = await members(lms, directory_sql, "Refus", 40)
    refused = ids[17]
    await directory_sql.execute(
        "INSERT INTO sessions (tenant_id, id, user_id, token_hash, expires_at)"
        " VALUES ($1, gen_random_uuid(), $2, $3, now() + interval '1 day')",
        lms.tenant.id,
        refused,
        uuid.uuid4().bytes,
    )
    trigger = f"refuse_{uuid.uuid4().hex[:8]}"
    await directory_sql.execute(
        f"CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'refused for the test' USING ERRCODE = '23514'; END $$"
    )
    await directory_sql.execute(
        f"CREATE TRIGGER {trigger} BEFORE UPDATE ON sessions FOR EACH ROW"
        f" WHEN (OLD.user_id = '{refused}') EXECUTE FUNCTION {trigger}()"
    )
    try:
        body = {"action": "deactivate", "user_ids": [str(u) for u in ids], "confirm": True}
        started = await lms.admin.post("/api/v1/users/bulk", json=body)
        assert started.status_code == 202, started.text
        job = await wait_job(lms, started.json()["id"])
    finally:
        await directory_sql.execute(f"DROP TRIGGER {trigger} ON sessions")
        await directory_sql.execute(f"DROP FUNCTION {trigger}()")

    assert job["state"] == "done"
    assert job["counts"] == {"updated": 39, "failed": 1}
    users = {
        row["id"]: row
        for row in await directory_sql.fetch(
            "SELECT id, status, version FROM users WHERE tenant_id = $1 AND id = ANY($2)",
            lms.tenant.id,
            ids,
        )
    }
    assert users.pop(refused)["status"] == "active"
    assert {(u["status"], u["version"]) for u in users.values()} == {("deactivated", 2)}
    activities = await directory_sql.fetch(
        "SELECT user_id FROM activities WHERE tenant_id = $1 AND kind = 'user.deactivated'",
        lms.tenant.id,
    )
    assert sorted(a["user_id"] for a in activities) == sorted(users)
    events = await lms.bus.wait_for(
        "user.deactivated", within=30, count=39, tenantid=str(lms.tenant.id)
    )
    await asyncio.sleep(0.5)  # anything more would have come with them
    events = lms.bus.matching("user.deactivated", tenantid=str(lms.tenant.id))
    assert sorted(e.body["subject"] for e in events) == sorted(str(u) for u in users)
    assert {e.body["version"] for e in events} == {2}
    results = await lms.admin.get(f"/api/v1/users/bulk/{job['id']}/results.csv")
    assert f"{refused},failed," in results.text
    assert results.text.count(",updated,") == 39


async def test_a_finished_job_leaves_nothing_in_the_users_gin_pending_lists(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    """Its batches let their users' GIN entries pile up, merged a few batches at a time:
    what is left is merged when the job ends, so that the list's searches (which read a
    pending list whole) and the next change of a user don't pay for it."""
    ids = await members(lms, directory_sql, "Fusion", 60)
    body = {"action": "deactivate", "user_ids": [str(u) for u in ids], "confirm": True}
    started = await lms.admin.post("/api/v1/users/bulk", json=body)
    assert started.status_code == 202, started.text
    assert (await wait_job(lms, started.json()["id"]))["state"] == "done"

    merged_now = await directory_sql.fetchval(
        "SELECT sum(gin_clean_pending_list(i.indexrelid)) FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
        " WHERE i.indrelid = 'users'::regclass AND a.amname = 'gin'"
    )
    assert merged_now == 0  # pending-list pages the job had left
