"""Transactional outbox: events are written in the same transaction as the change they
describe, and a relay publishes them afterwards. A broker outage delays events; it
never loses them."""

import asyncio
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, any_, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import CloudEvent, SerializedEvent
from shared.db import Database, uuid_array
from shared.logging import correlation_id, get_logger
from shared.messaging.publisher import EventPublisher, Outgoing
from shared.messaging.tables import outbox
from shared.metrics import OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED
from shared.wakeup import Wakeup
from shared.workers import Worker

log = get_logger(__name__)

FLUSH_BATCH_SIZE = 100


# An outbox row's columns, each with the type its array is cast to: what `outbox_row`
# gives, for a statement inserting many rows over arrays (`enqueue`, or a repository's own).
OUTBOX_COLUMNS: dict[str, str] = {
    "id": "uuid",
    "routing_key": "text",
    "body": "text",
    "correlation_id": "text",
}


def outbox_row(event: CloudEvent[Any] | SerializedEvent) -> dict[str, Any]:
    """An event as its outbox row (`OUTBOX_COLUMNS`): what `enqueue` inserts, and what a
    repository that writes the rows with its own statement inserts (in the caller's
    transaction all the same)."""
    body = event.body if isinstance(event, SerializedEvent) else event.model_dump_json()
    return {
        "id": uuid.UUID(event.id),
        "routing_key": event.type,
        "body": body,
        "correlation_id": correlation_id(),
    }


_ENQUEUE = text(
    f"INSERT INTO outbox ({', '.join(OUTBOX_COLUMNS)}) SELECT * FROM unnest("  # noqa: S608
    + ", ".join(f"CAST(:{column} AS {kind}[])" for column, kind in OUTBOX_COLUMNS.items())
    + ")"
)


async def enqueue(session: AsyncSession, *events: CloudEvent[Any] | SerializedEvent) -> None:
    """Add events to the outbox inside the caller's transaction: one statement over their
    arrays, however many (a bulk job's batch writes thousands)."""
    if not events:
        return
    rows = [outbox_row(event) for event in events]
    await session.execute(
        _ENQUEUE, {column: [row[column] for row in rows] for column in OUTBOX_COLUMNS}
    )


def retry_delay(attempts: int, max_seconds: float) -> float:
    """Exponential backoff for a row that failed to publish `attempts` times."""
    return float(min(max_seconds, 0.5 * 2 ** min(attempts, 20)))


class OutboxRelay:
    """Publishes pending outbox rows with publisher confirms, in pipelined batches.

    Several replicas may run: rows are claimed with FOR UPDATE SKIP LOCKED. Run by a
    `shared.workers.Worker` (see `worker`): a pass that published a whole batch goes on at
    once, otherwise the relay waits for a NOTIFY from the outbox trigger or its poll.
    """

    def __init__(
        self,
        db: Database,
        publisher: EventPublisher,
        *,
        service: str,
        batch_size: int = 500,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        self._db = db
        self._publisher = publisher
        self._service = service
        self._batch_size = batch_size
        self._max_backoff = max_backoff_seconds

    def worker(self, wakeup: Wakeup) -> Worker:
        return Worker("outbox-relay", self.step, service=self._service, wakeup=wakeup)

    async def step(self) -> bool:
        """One pass; True when a whole batch went out (more is probably waiting)."""
        return await self.relay_once() >= self._batch_size

    async def relay_once(self, limit: int | None = None) -> int:
        """Claim one batch (at most `limit` rows), publish it, record the outcome. Returns
        how many were published.

        While the broker is away nothing is claimed: rows wait untouched instead of each
        collecting a failure (and a log line) per attempt."""
        if not self._publisher.connected:
            return 0
        async with self._db.transaction() as session:
            rows = (
                await session.execute(
                    select(
                        outbox.c.id,
                        outbox.c.routing_key,
                        outbox.c.body,
                        outbox.c.correlation_id,
                        outbox.c.attempts,
                    )
                    .where(outbox.c.published_at.is_(None), outbox.c.available_at <= func.now())
                    .order_by(outbox.c.available_at)
                    .limit(limit or self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            outcomes = await self._publisher.publish_many(
                [
                    Outgoing(row.body.encode(), row.routing_key, str(row.id), row.correlation_id)
                    for row in rows
                ]
            )
            return await self._record(session, rows, outcomes)

    async def flush(self, deadline_seconds: float) -> None:
        """Publish what is pending now, batch after batch, until `deadline_seconds` pass
        (on shutdown). A batch once started is finished and recorded, never cut short:
        cancelling it lost the record of events already confirmed, and a restart
        published them again (219 of 20,000 in tests/faults/test_sigterm.py). Small
        batches keep the overrun past the deadline short."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + deadline_seconds
        limit = min(self._batch_size, FLUSH_BATCH_SIZE)
        while loop.time() < deadline and await self.relay_once(limit) >= limit:
            pass

    async def _record(
        self,
        session: AsyncSession,
        rows: Sequence[Row[Any, Any, Any, Any, Any]],
        outcomes: Sequence[BaseException | None],
    ) -> int:
        published = [row.id for row, outcome in zip(rows, outcomes, strict=True) if outcome is None]
        if published:
            await session.execute(
                update(outbox)
                .where(outbox.c.id == any_(uuid_array(published)))
                .values(published_at=func.now())
            )
            OUTBOX_PUBLISHED.labels(self._service).inc(len(published))
        failed = [
            (row, outcome)
            for row, outcome in zip(rows, outcomes, strict=True)
            if isinstance(outcome, BaseException)
        ]
        for row, error in failed:
            await self._record_failure(session, row, error)
        if failed:
            OUTBOX_PUBLISH_FAILURES.labels(self._service).inc(len(failed))
            log.warning(
                "outbox publications failed; retrying with backoff",
                failed=len(failed),
                published=len(published),
                first_event_id=str(failed[0][0].id),
                error=repr(failed[0][1]),
            )
        return len(published)

    async def _record_failure(
        self, session: AsyncSession, row: Row[Any, Any, Any, Any, Any], error: BaseException
    ) -> None:
        delay = timedelta(seconds=retry_delay(row.attempts, self._max_backoff))
        await session.execute(
            update(outbox)
            .where(outbox.c.id == row.id)
            .values(
                attempts=outbox.c.attempts + 1,
                available_at=func.now() + delay,
                last_error=repr(error)[:2000],
            )
        )


async def backlog(session: AsyncSession) -> tuple[int, float]:
    """How many events wait to be published, and the age in seconds of the oldest."""
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.extract("epoch", func.now() - func.min(outbox.c.created_at)), 0),
            ).where(outbox.c.published_at.is_(None))
        )
    ).one()
    return int(row[0]), float(row[1])
