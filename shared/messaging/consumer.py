"""Idempotent consumers: the effect of a message and the record of its id commit together,
and the message is acknowledged only after that commit.

A message that fails is retried a few times; one that can never succeed (unparseable,
unknown type, data breaking its contract) or keeps failing is parked in the queue's
dead-letter queue with the error in its headers.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aio_pika import IncomingMessage
from faststream import AckPolicy
from faststream.rabbit import RabbitBroker
from faststream.rabbit.annotations import RabbitMessage
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from structlog.contextvars import bound_contextvars

from shared.contracts import CloudEvent, RawCloudEvent, spec_for, topic_matches
from shared.db import Database
from shared.logging import bind_correlation_id, get_logger
from shared.messaging.tables import processed_messages
from shared.messaging.topology import DEAD_LETTER_EXCHANGE, ConsumerQueue

log = get_logger(__name__)

EventHandler = Callable[[AsyncSession, CloudEvent[Any]], Awaitable[None]]


class PermanentError(Exception):
    """Raised by a handler for a message that will never succeed: park it at once."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    delay_seconds: float = 0.5

    def delay(self, attempt: int) -> float:
        return self.delay_seconds * attempt


async def claim_message(session: AsyncSession, consumer: str, message_id: str) -> bool:
    """Record that `consumer` processed `message_id`; False when it already had."""
    result = await session.execute(
        insert(processed_messages)
        .values(consumer=consumer, message_id=message_id)
        .on_conflict_do_nothing()
        .returning(processed_messages.c.message_id)
    )
    return result.first() is not None


class EventConsumer:
    """Consumes one queue, dispatching each event type to its handler.

    `handlers` maps a routing-key pattern (`invitation.sent`, `lms.activity.*`) to the
    function that applies the event inside a transaction.
    """

    def __init__(
        self,
        queue: ConsumerQueue,
        handlers: Mapping[str, EventHandler],
        db: Database,
        retry: RetryPolicy,
    ) -> None:
        self.queue = queue
        self._handlers = dict(handlers)
        self._db = db
        self._retry = retry
        self._broker: RabbitBroker | None = None

    def register(self, broker: RabbitBroker) -> None:
        self._broker = broker
        broker.subscriber(
            self.queue.queue(),
            ack_policy=AckPolicy.MANUAL,
            title=self.queue.name,
            description=f"Handles {', '.join(self._handlers)}.",
        )(self.consume)

    async def consume(self, message: RabbitMessage) -> None:
        raw = message.raw_message
        bind_correlation_id(raw.correlation_id)
        with bound_contextvars(queue=self.queue.name, routing_key=raw.routing_key):
            try:
                await self.process(raw.body)
            except PermanentError as error:
                await self._park(message, error)
                return
            except Exception as error:
                await self._retry_or_park(message, error)
                return
            await message.ack()

    async def process(self, body: bytes) -> None:
        """Apply one message's effect exactly once (a duplicate changes nothing)."""
        event, handler = self._parse(body)
        with bound_contextvars(
            event_id=event.id, event_type=event.type, tenant_id=str(event.tenantid)
        ):
            async with self._db.transaction() as session:
                if await claim_message(session, self.queue.name, event.id):
                    await handler(session, event)
                else:
                    log.info("duplicate message ignored")

    def _parse(self, body: bytes) -> tuple[CloudEvent[Any], EventHandler]:
        try:
            envelope = RawCloudEvent.model_validate_json(body)
        except ValidationError as error:
            raise PermanentError(f"not a valid CloudEvent: {error}") from error
        handler = self._handler_for(envelope.type)
        spec = spec_for(envelope.type)
        if handler is None or spec is None:
            raise PermanentError(f"no handler for event type {envelope.type!r}")
        try:
            data = spec.data.model_validate(envelope.data)
        except ValidationError as error:
            raise PermanentError(f"{envelope.type} data breaks its contract: {error}") from error
        return CloudEvent(**{**envelope.model_dump(exclude={"data"}), "data": data}), handler

    def _handler_for(self, event_type: str) -> EventHandler | None:
        return next(
            (
                handler
                for pattern, handler in self._handlers.items()
                if topic_matches(pattern, event_type)
            ),
            None,
        )

    async def _retry_or_park(self, message: RabbitMessage, error: Exception) -> None:
        attempt = _delivery_count(message.raw_message) + 1
        if attempt >= self._retry.max_attempts:
            await self._park(message, error)
            return
        log.warning("message failed, will retry", attempt=attempt, error=repr(error))
        await asyncio.sleep(self._retry.delay(attempt))
        await message.nack(requeue=True)

    async def _park(self, message: RabbitMessage, error: Exception) -> None:
        """Move the message to the dead-letter queue, with the reason, then ack it."""
        raw = message.raw_message
        log.error("message parked in dead-letter queue", error=repr(error))
        assert self._broker is not None
        try:
            await self._broker.publish(
                raw.body,
                exchange=DEAD_LETTER_EXCHANGE,
                routing_key=self.queue.name,
                persist=True,
                message_id=raw.message_id,
                correlation_id=raw.correlation_id,
                content_type=raw.content_type,
                headers={
                    **(raw.headers or {}),
                    "x-error": str(error)[:4000],
                    "x-error-type": type(error).__name__,
                    "x-original-routing-key": raw.routing_key or "",
                    "x-failed-at": datetime.now(UTC).isoformat(),
                    "x-attempts": _delivery_count(raw) + 1,
                },
            )
        except Exception:
            log.exception("could not park message; it will be redelivered")
            await message.nack(requeue=True)
            return
        await message.ack()


def _delivery_count(raw: IncomingMessage) -> int:
    """How many times a quorum queue delivered this message before."""
    count = (raw.headers or {}).get("x-delivery-count", 0)
    return int(count) if isinstance(count, int | str) else 0
