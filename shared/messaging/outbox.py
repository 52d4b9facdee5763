"""Transactional outbox: events are written in the same transaction as the change they
describe, and a relay publishes them afterwards. A broker outage delays events; it
never loses them."""

import asyncio
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, any_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import CloudEvent
from shared.db import Database, uuid_array
from shared.logging import correlation_id, get_logger
from shared.messaging.publisher import EventPublisher
from shared.messaging.tables import OUTBOX_CHANNEL, outbox
from shared.wakeup import Wakeup

log = get_logger(__name__)


async def enqueue(session: AsyncSession, *events: CloudEvent[Any]) -> None:
    """Add events to the outbox inside the caller's transaction."""
    if not events:
        return
    await session.execute(
        insert(outbox),
        [
            {
                "id": uuid.UUID(event.id),
                "routing_key": event.type,
                "body": event.model_dump_json(),
                "correlation_id": correlation_id(),
            }
            for event in events
        ],
    )


def retry_delay(attempts: int, max_seconds: float) -> float:
    """Exponential backoff for a row that failed to publish `attempts` times."""
    return float(min(max_seconds, 0.5 * 2 ** min(attempts, 20)))


class OutboxRelay:
    """Publishes pending outbox rows with publisher confirms, in pipelined batches.

    Several replicas may run: rows are claimed with FOR UPDATE SKIP LOCKED.
    """

    def __init__(
        self,
        db: Database,
        publisher: EventPublisher,
        *,
        listen_dsn: str,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        self._db = db
        self._publisher = publisher
        self._batch_size = batch_size
        self._max_backoff = max_backoff_seconds
        self._wakeup = Wakeup(listen_dsn, OUTBOX_CHANNEL, poll_seconds)

    async def run(self) -> None:
        listener = asyncio.create_task(self._wakeup.listen_forever())
        try:
            while True:
                published = await self._relay_safely()
                if published < self._batch_size:
                    await self._wakeup.wait()
        finally:
            listener.cancel()

    async def relay_once(self) -> int:
        """Claim one batch, publish it, record the outcome. Returns how many were published."""
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
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            outcomes = await asyncio.gather(
                *(self._publish(row) for row in rows), return_exceptions=True
            )
            return await self._record(session, rows, outcomes)

    async def _publish(self, row: Row[Any, Any, Any, Any, Any]) -> None:
        await self._publisher.publish(
            row.body.encode(), row.routing_key, str(row.id), row.correlation_id
        )

    async def _record(
        self,
        session: AsyncSession,
        rows: Sequence[Row[Any, Any, Any, Any, Any]],
        outcomes: list[Any],
    ) -> int:
        published = [row.id for row, outcome in zip(rows, outcomes, strict=True) if outcome is None]
        if published:
            await session.execute(
                update(outbox)
                .where(outbox.c.id == any_(uuid_array(published)))
                .values(published_at=func.now())
            )
        for row, outcome in zip(rows, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                await self._record_failure(session, row, outcome)
        return len(published)

    async def _record_failure(
        self, session: AsyncSession, row: Row[Any, Any, Any, Any, Any], error: BaseException
    ) -> None:
        delay = timedelta(seconds=retry_delay(row.attempts, self._max_backoff))
        log.warning("outbox publish failed", event_id=str(row.id), error=repr(error))
        await session.execute(
            update(outbox)
            .where(outbox.c.id == row.id)
            .values(
                attempts=outbox.c.attempts + 1,
                available_at=func.now() + delay,
                last_error=repr(error)[:2000],
            )
        )

    async def _relay_safely(self) -> int:
        try:
            return await self.relay_once()
        except Exception:
            log.exception("outbox relay pass failed")
            return 0
