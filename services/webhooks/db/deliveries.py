"""The delivery queue: claimed with FOR UPDATE SKIP LOCKED (any number of processes share
it), under a lease (a process that dies loses its claims when the lease runs out)."""

import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, Table, Text, Uuid, bindparam, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.db.hooks import HookKey
from services.webhooks.db.models import DeliveryJob
from services.webhooks.domain.claims import ClaimedDelivery, is_full
from services.webhooks.domain.events import WebhookEvent
from services.webhooks.domain.payloads import Payload
from services.webhooks.domain.states import UNDELIVERED, AttemptOutcome, DeliveryState

DELIVERIES_CHANNEL = "webhook_deliveries"  # NOTIFY on insert (see the first migration)

_jobs: Table = DeliveryJob.__table__  # type: ignore[assignment]

# Due deliveries, oldest first, skipping: targets this process already holds as many
# claims for as it may, deliveries waiting behind an earlier undelivered event of the
# same user to the same hook, and more per target than that target has room for. The
# queue is read per target with room (`ix_deliveries_target`): the targets found by one
# index descent each, then each one's oldest due deliveries, no more than its room. A
# full target's backlog is not read at all: read in due order across targets, every
# claim walked past a silent receiver's whole backlog (its oldest rows) before reaching
# anyone else's (bench/webhooks.py: the others slowed by a quarter). The rows are locked
# after the choice; the queue is read alone, without joins before the LIMIT (measured on
# a fresh table, a join to the hooks let the planner walk every pending delivery, 0.8 s).
# A disabled hook has no undelivered deliveries left (they are failed as it is disabled).
CLAIM = (
    text(
        """
WITH RECURSIVE busy AS (
    SELECT * FROM unnest(CAST(:busy_keys AS text[]), CAST(:busy_counts AS int[]))
        AS b(target_key, in_flight)
),
targets(target_key) AS (
    (SELECT d.target_key FROM deliveries d
     WHERE d.state IN ('pending', 'sending')
     ORDER BY d.target_key LIMIT 1)
    UNION ALL
    SELECT (SELECT d.target_key FROM deliveries d
            WHERE d.state IN ('pending', 'sending') AND d.target_key > t.target_key
            ORDER BY d.target_key LIMIT 1)
    FROM targets t WHERE t.target_key IS NOT NULL
),
open AS (
    SELECT t.target_key, greatest(:per_target - coalesce(busy.in_flight, 0), 0) AS room
    FROM targets t LEFT JOIN busy ON busy.target_key = t.target_key
    WHERE t.target_key IS NOT NULL AND t.target_key <> ALL(CAST(:saturated AS text[]))
),
due AS (
    SELECT due.tenant_id, due.id, due.next_attempt_at
    FROM open CROSS JOIN LATERAL (
        SELECT d.tenant_id, d.id, d.next_attempt_at
        FROM deliveries d
        WHERE d.target_key = open.target_key
          AND d.state IN ('pending', 'sending') AND d.next_attempt_at <= :now
          AND NOT EXISTS (
              SELECT 1 FROM deliveries e
              WHERE e.tenant_id = d.tenant_id AND e.hook_id = d.hook_id
                AND e.ordering_key = d.ordering_key
                AND e.state IN ('pending', 'sending')
                AND (e.occurred_at, e.seq) < (d.occurred_at, d.seq))
        ORDER BY d.next_attempt_at
        LIMIT least(open.room, :limit)
    ) due
),
chosen AS (
    SELECT tenant_id, id FROM due ORDER BY next_attempt_at LIMIT :limit
),
-- Each chosen row is locked through its primary key (a join could scan the table),
-- then updated where it lies: joined back by key, the planner hashed the locked rows and
-- read the whole table (the history too) on every claim.
locked AS (
    SELECT l.row_at FROM chosen c CROSS JOIN LATERAL (
        SELECT d.ctid AS row_at FROM deliveries d
        WHERE d.tenant_id = c.tenant_id AND d.id = c.id
          AND d.state IN ('pending', 'sending') AND d.next_attempt_at <= :now
        FOR UPDATE SKIP LOCKED
    ) l
),
claimed AS (
    UPDATE deliveries d SET state = 'sending', next_attempt_at = :lease_until
    WHERE d.ctid = ANY(ARRAY(SELECT row_at FROM locked))
    RETURNING d.tenant_id, d.id, d.hook_id, d.event_id, d.attempts
)
-- Joined after the update, each row to its own hook and event by their whole keys (a
-- subquery each, kept apart by its LIMIT: joined plainly, the planner without statistics
-- matched the events by tenant alone and read the tenant's every event for each row).
SELECT c.tenant_id, c.id, c.hook_id, h.target_url, h.target_key, h.secret,
       ev.event, c.event_id, ev.payload, c.attempts
FROM claimed c
CROSS JOIN LATERAL (
    SELECT h.target_url, h.target_key, h.secret FROM hooks h
    WHERE h.tenant_id = c.tenant_id AND h.id = c.hook_id LIMIT 1
) h
CROSS JOIN LATERAL (
    SELECT ev.event, ev.payload::text AS payload FROM webhook_events ev
    WHERE ev.tenant_id = c.tenant_id AND ev.id = c.event_id LIMIT 1
) ev
"""
    )
    .bindparams(bindparam("busy_keys"), bindparam("busy_counts"), bindparam("saturated"))
    .columns(
        tenant_id=Uuid,
        id=Uuid,
        hook_id=Uuid,
        target_url=Text,
        target_key=Text,
        secret=Text,
        event=Text,
        event_id=Text,
        payload=Text,
        attempts=Integer,
    )
)


def claim_parameters(
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    per_target: int,
    held: Mapping[str, int],
) -> dict[str, object]:
    """CLAIM's parameters (also for reading its plan)."""
    saturated = [key for key, count in held.items() if is_full(count, per_target)]
    busy = {key: count for key, count in held.items() if not is_full(count, per_target)}
    return {
        "now": now,
        "lease_until": lease_until,
        "limit": limit,
        "per_target": per_target,
        "saturated": saturated,
        "busy_keys": list(busy),
        "busy_counts": list(busy.values()),
    }


async def claim(
    session: AsyncSession,
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    per_target: int,
    held: Mapping[str, int],
) -> list[ClaimedDelivery]:
    """Up to `limit` due deliveries, each target given at most the room it has left:
    `per_target` claims minus those this process `held` for it; none for a target that
    is still full (`is_full`)."""
    result = await session.execute(
        CLAIM,
        claim_parameters(
            now=now, lease_until=lease_until, limit=limit, per_target=per_target, held=held
        ),
    )
    payloads: dict[str, Payload] = {}  # an event's payload decoded once, for all its hooks
    claimed = []
    for row in result:
        if (payload := payloads.get(row.event_id)) is None:
            payload = payloads[row.event_id] = json.loads(row.payload)
        claimed.append(
            ClaimedDelivery(
                tenant_id=row.tenant_id,
                id=row.id,
                hook_id=row.hook_id,
                target_url=row.target_url,
                target_key=row.target_key,
                secret=row.secret,
                event=WebhookEvent(row.event),
                event_id=row.event_id,
                payload=payload,
                attempt=row.attempts + 1,
                lease_until=lease_until,
            )
        )
    return claimed


@dataclass(frozen=True)
class AttemptRecord:
    """One attempt as recorded, and the state its delivery moves to."""

    tenant_id: uuid.UUID
    delivery_id: uuid.UUID
    hook_id: uuid.UUID
    event_id: str
    event: str
    attempt: int
    status: int | None
    outcome: AttemptOutcome
    duration_ms: float
    error: str | None
    at: datetime
    state: DeliveryState
    next_attempt_at: datetime | None
    finished_at: datetime | None


# Each delivery moves on (unless its hook was disabled meanwhile: then it stays failed)
# and each attempt is kept, in one statement for the whole batch. An attempt at a hook
# deleted meanwhile is not kept (nor is its delivery, gone with the hook). The answer
# says whether a delivery that waited behind one of these may go now.
_RECORD = text(
    """
WITH outcome AS (
    SELECT * FROM unnest(
        CAST(:tenant_ids AS uuid[]), CAST(:ids AS uuid[]), CAST(:hook_ids AS uuid[]),
        CAST(:event_ids AS text[]), CAST(:events AS text[]), CAST(:attempts AS int[]),
        CAST(:statuses AS int[]), CAST(:outcomes AS text[]), CAST(:durations AS float8[]),
        CAST(:errors AS text[]), CAST(:ats AS timestamptz[]), CAST(:states AS text[]),
        CAST(:next_ats AS timestamptz[]), CAST(:finished_ats AS timestamptz[])
    ) AS o(tenant_id, id, hook_id, event_id, event, attempt, status, outcome, duration_ms,
           error, at, state, next_attempt_at, finished_at)
),
moved AS (
    UPDATE deliveries d
    SET state = o.state, attempts = o.attempt, finished_at = o.finished_at,
        next_attempt_at = coalesce(o.next_attempt_at, d.next_attempt_at)
    FROM outcome o
    WHERE d.tenant_id = o.tenant_id AND d.id = o.id AND d.state = 'sending'
    RETURNING d.tenant_id, d.hook_id, d.ordering_key, d.occurred_at, d.seq, d.state
),
kept AS (
    INSERT INTO delivery_attempts
        (tenant_id, id, hook_id, delivery_id, event_id, event, attempt, status, outcome,
         duration_ms, error, at)
    SELECT o.tenant_id, gen_random_uuid(), o.hook_id, o.id, o.event_id, o.event, o.attempt,
           o.status, o.outcome, o.duration_ms, o.error, o.at
    FROM outcome o
    WHERE EXISTS (SELECT 1 FROM hooks h WHERE h.tenant_id = o.tenant_id AND h.id = o.hook_id)
)
-- How many of those done have a later event of the same user waiting for the same hook:
-- it can go now.
SELECT count(*) FROM moved m
WHERE m.state IN ('delivered', 'failed') AND EXISTS (
    SELECT 1 FROM deliveries e
    WHERE e.tenant_id = m.tenant_id AND e.hook_id = m.hook_id
      AND e.ordering_key = m.ordering_key AND e.state IN ('pending', 'sending')
      AND (e.occurred_at, e.seq) > (m.occurred_at, m.seq))
"""
)


async def record_outcomes(session: AsyncSession, records: Sequence[AttemptRecord]) -> int:
    """How many deliveries waiting for one of these (same user, same hook) may go now."""
    if not records:
        return 0
    result = await session.execute(
        _RECORD,
        {
            "tenant_ids": [r.tenant_id for r in records],
            "ids": [r.delivery_id for r in records],
            "hook_ids": [r.hook_id for r in records],
            "event_ids": [r.event_id for r in records],
            "events": [r.event for r in records],
            "attempts": [r.attempt for r in records],
            "statuses": [r.status for r in records],
            "outcomes": [r.outcome.value for r in records],
            "durations": [r.duration_ms for r in records],
            "errors": [r.error for r in records],
            "ats": [r.at for r in records],
            "states": [r.state.value for r in records],
            "next_ats": [r.next_attempt_at for r in records],
            "finished_ats": [r.finished_at for r in records],
        },
    )
    return int(result.scalar_one())


async def release(session: AsyncSession, claims: Sequence[ClaimedDelivery], now: datetime) -> None:
    """Hand back claims not attempted (shutting down): due again at once, for anyone."""
    if not claims:
        return
    await session.execute(
        update(_jobs)
        .where(
            tuple_(_jobs.c.tenant_id, _jobs.c.id).in_([(c.tenant_id, c.id) for c in claims]),
            _jobs.c.state == DeliveryState.SENDING,
        )
        .values(state=DeliveryState.PENDING, next_attempt_at=now)
    )


async def fail_undelivered(
    session: AsyncSession, hooks: Collection[HookKey], now: datetime
) -> None:
    """A disabled hook's queue is given up: re-enabling it delivers new events only."""
    if not hooks:
        return
    await session.execute(
        update(_jobs)
        .where(
            tuple_(_jobs.c.tenant_id, _jobs.c.hook_id).in_(list(hooks)),
            _jobs.c.state.in_(UNDELIVERED),
        )
        .values(state=DeliveryState.FAILED, finished_at=now)
    )
