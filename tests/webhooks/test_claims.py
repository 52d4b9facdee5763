"""The claim, on a queue where one receiving server has a large backlog of the oldest
deliveries (a receiver that never answers): the others' due deliveries are still claimed,
each target up to its room, and what the claim reads does not grow with that backlog."""

import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from services.webhooks.db import deliveries as deliveries_db
from services.webhooks.domain.claims import ClaimedDelivery
from shared.db import Database, sqlalchemy_dsn
from tests.support.infra import Infrastructure, drop_database
from tests.support.webhooks import webhooks_database

SILENT = "silent.example:443"
FAST = "fast.example:443"
PER_TARGET = 128  # the sender's default: 8 at once, claimed 16 times ahead
LIMIT = 100
LEASE = timedelta(minutes=1)


@pytest.fixture
async def queue_db(infra: Infrastructure) -> AsyncIterator[Database]:
    url = await webhooks_database(infra, "claims")
    db = Database(sqlalchemy_dsn(url))
    yield db
    await db.dispose()
    await drop_database(infra, f"lms_test_{infra.run_id}_webhooks_claims")


class Queue:
    """Deliveries queued straight into the table: `count` events of distinct users, each
    to every hook of `target`, the earliest `minutes_ago` minutes ago, a millisecond apart."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.tenant_id = uuid.uuid4()
        self.hooks: dict[str, list[uuid.UUID]] = {}
        self.events = 0

    async def add_hooks(self, target: str, count: int) -> None:
        ids = [uuid.uuid4() for _ in range(count)]
        async with self.db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO hooks (tenant_id, id, event, target_url, target_key, secret,"
                    " state) SELECT :tenant_id, id, 'user.updated', :url, :target, 'secret',"
                    " 'active' FROM unnest(CAST(:ids AS uuid[])) AS id"
                ),
                {
                    "tenant_id": self.tenant_id,
                    "ids": ids,
                    "url": f"https://{target}/",
                    "target": target,
                },
            )
        self.hooks[target] = ids

    async def queue(
        self, target: str, count: int, minutes_ago: float, analyse: bool = True
    ) -> None:
        first = self.events
        self.events += count
        since = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        async with self.db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO webhook_events (tenant_id, id, event, occurred_at, ordering_key,"
                    " payload) SELECT :tenant_id, 'evt_' || n, 'user.updated',"
                    " CAST(:since AS timestamptz) + (n - :first) * interval '1 millisecond',"
                    " 'user-' || n, CAST(:payload AS json)"
                    " FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS n"
                ),
                {
                    "tenant_id": self.tenant_id,
                    "since": since,
                    "first": first,
                    "last": first + count - 1,
                    "payload": json.dumps({"event": "user.updated"}),
                },
            )
            await session.execute(
                text(
                    "INSERT INTO deliveries (tenant_id, id, hook_id, event_id, target_key,"
                    " ordering_key, occurred_at, next_attempt_at)"
                    " SELECT e.tenant_id, gen_random_uuid(), hook_id, e.id, :target,"
                    " e.ordering_key, e.occurred_at, e.occurred_at"
                    " FROM webhook_events e, unnest(CAST(:hooks AS uuid[])) AS hook_id"
                    " WHERE e.tenant_id = :tenant_id AND e.id = ANY(CAST(:ids AS text[]))"
                ),
                {
                    "tenant_id": self.tenant_id,
                    "target": target,
                    "hooks": self.hooks[target],
                    "ids": [f"evt_{n}" for n in range(first, first + count)],
                },
            )
        if analyse:  # statistics, as autovacuum keeps them
            async with self.db.engine.connect() as connection:
                await connection.execute(text("ANALYZE deliveries, webhook_events, hooks"))
                await connection.commit()

    async def claim(self, held: dict[str, int]) -> list[ClaimedDelivery]:
        async with self.db.transaction() as session:
            now = datetime.now(UTC)
            return await deliveries_db.claim(
                session,
                now=now,
                lease_until=now + LEASE,
                limit=LIMIT,
                per_target=PER_TARGET,
                held=held,
            )

    async def read_by_claim(self, held: dict[str, int], table: str = "deliveries") -> int:
        """Rows of a table the claim statement reads, by any scan (its EXPLAIN
        ANALYZE; the claims rolled back): not its time, nor its buffers (the indexes
        deepen as the table grows)."""
        now = datetime.now(UTC)
        parameters = deliveries_db.claim_parameters(
            now=now, lease_until=now + LEASE, limit=LIMIT, per_target=PER_TARGET, held=held
        )
        statement = deliveries_db.CLAIM.compile(dialect=self.db.engine.dialect)
        raw = await self.db.engine.raw_connection()
        try:
            connection = raw.driver_connection
            assert connection is not None
            transaction = connection.transaction()
            await transaction.start()
            try:
                [[plan]] = await connection.fetch(
                    f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}",
                    *[parameters[name] for name in statement.positiontup or ()],
                )
            finally:
                await transaction.rollback()
        finally:
            raw.close()
        return rows_read(plan[0]["Plan"], table)  # json, decoded by the engine


def rows_read(node: dict[str, Any], table: str) -> int:
    """Rows a plan's scans of `table` went through: those they gave and those they
    filtered out (EXPLAIN gives both per loop)."""
    read = 0
    if node.get("Relation Name") == table and "Scan" in node["Node Type"]:
        per_loop = sum(
            node.get(key, 0)
            for key in ("Actual Rows", "Rows Removed by Filter", "Rows Removed by Index Recheck")
        )
        read = per_loop * node["Actual Loops"]
    return read + sum(rows_read(child, table) for child in node.get("Plans", []))


async def test_a_full_target_s_backlog_is_not_read_by_the_claims(queue_db: Database) -> None:
    queue = Queue(queue_db)
    await queue.add_hooks(SILENT, 10)
    await queue.add_hooks(FAST, 5)
    await queue.queue(SILENT, 300, minutes_ago=30)  # 3,000 deliveries, the oldest
    await queue.queue(FAST, 10, minutes_ago=1)  # 50
    full = {SILENT: PER_TARGET}
    read_before = await queue.read_by_claim(full)

    await queue.queue(SILENT, 1_500, minutes_ago=20)  # 15,000 more, older than FAST's
    read_after = await queue.read_by_claim(full)
    claimed = await queue.claim(full)

    assert Counter(c.target_key for c in claimed) == {FAST: 50}
    # Read in due order, the backlog was walked through on every claim.
    assert read_after <= read_before + 10, (read_before, read_after)


async def test_a_target_with_a_backlog_takes_its_room_and_the_claim_goes_on_to_others(
    queue_db: Database,
) -> None:
    queue = Queue(queue_db)
    await queue.add_hooks(SILENT, 10)
    await queue.add_hooks(FAST, 5)
    await queue.queue(SILENT, 200, minutes_ago=30)  # 2,000, the oldest
    await queue.queue(FAST, 4, minutes_ago=1)  # 20
    held = {SILENT: PER_TARGET // 2}  # not full: room for 64 more

    claimed = await queue.claim(held)

    assert Counter(c.target_key for c in claimed) == {SILENT: 64, FAST: 20}
    silent_events = [c.event_id for c in claimed if c.target_key == SILENT]
    assert set(silent_events) == {f"evt_{n}" for n in range(7)}, "its oldest"


async def test_each_claimed_delivery_reads_its_own_event_only(queue_db: Database) -> None:
    queue = Queue(queue_db)
    await queue.add_hooks(FAST, 50)
    # No statistics yet (a new table; here autovacuum is off): the planner guessed the
    # tenant's events few enough to read them all for each delivery.
    await queue.queue(FAST, 400, minutes_ago=1, analyse=False)  # 20,000 deliveries

    read = await queue.read_by_claim({}, "webhook_events")

    assert read <= LIMIT, read
