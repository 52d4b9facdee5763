"""Idempotent consumers: the effect of a message and the record of its id commit together,
and the message is acknowledged only after that commit.

A message that can never succeed is parked at once in its queue's dead-letter queue, with
the reason in its headers: unparseable, an unknown type, data breaking its contract, a
handler refusing it (`PermanentError` or a domain error such as `NotFound`), or data the
database refuses (SQLSTATE classes 22 and 23). Anything else (a lost connection, a
deadlock, a row changed meanwhile: `ChangedMeanwhile`, a domain error saying "later":
`Unavailable`, `RateLimited`) is retried a few times with a growing pause, then parked.

A queue may be consumed in batches (`ConsumerQueue.batch_size`): the messages that
arrive together are applied in one transaction (`shared.messaging.batches`), each with its
own inbox record, acknowledgement and fate.
"""

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aio_pika import IncomingMessage
from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.rabbit import RabbitBroker
from faststream.rabbit.annotations import RabbitMessage
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from structlog.contextvars import bound_contextvars

from shared.contracts import CloudEvent, RawCloudEvent, spec_for, topic_matches
from shared.db import Database, is_permanent_data_error
from shared.errors import ChangedMeanwhile, DomainError, RateLimited, Unavailable
from shared.logging import bind_correlation_id, get_logger
from shared.messaging.batches import BatchApplier, BatchFailed
from shared.messaging.batches import EventHandler as EventHandler
from shared.messaging.tables import processed_messages
from shared.messaging.topology import DEAD_LETTER_EXCHANGE, ConsumerQueue
from shared.metrics import MESSAGE_LATENCY, MESSAGES_CONSUMED
from shared.unit_of_work import UnitOfWork, UnitOfWorkFactory, unit_of_work

log = get_logger(__name__)


class PermanentError(Exception):
    """Raised by a handler for a message that will never succeed: park it at once."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    delay_seconds: float = 0.5

    def delay(self, attempt: int) -> float:
        return self.delay_seconds * attempt


def never_succeeds(error: BaseException) -> bool:
    """Park at once: trying again can't change the outcome. A domain error that says
    "later" (`Unavailable`, `RateLimited`, `ChangedMeanwhile`) is the exception: it is retried."""
    if isinstance(error, Unavailable | RateLimited | ChangedMeanwhile):
        return False
    return isinstance(error, PermanentError | DomainError) or is_permanent_data_error(error)


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
    function that applies the event inside a unit of work.
    """

    def __init__(
        self,
        queue: ConsumerQueue,
        handlers: Mapping[str, EventHandler],
        db: Database,
        retry: RetryPolicy,
        *,
        service: str = "test",
        unit_of_work_factory: UnitOfWorkFactory = UnitOfWork,
    ) -> None:
        self.queue = queue
        self._handlers = dict(handlers)
        self._handler_by_type: dict[str, EventHandler] = {}  # the patterns matched once
        self._db = db
        self._retry = retry
        self._service = service
        self._uow_factory = unit_of_work_factory
        self._broker: RabbitBroker | None = None
        self._batches = (
            BatchApplier(queue.inbox_name, db, unit_of_work_factory, queue.batch_size)
            if queue.batch_size > 1
            else None
        )
        # aiormq runs each delivery as its own task, in arrival order: the first reaches
        # this FIFO lock first, so the messages are applied in the order they arrived.
        self._one_at_a_time = asyncio.Lock() if queue.in_order else contextlib.nullcontext()

    @property
    def retry(self) -> RetryPolicy:
        return self._retry

    def register(self, broker: RabbitBroker) -> None:
        self._broker = broker
        broker.subscriber(
            self.queue.queue(),
            ack_policy=AckPolicy.MANUAL,
            decoder=_body_as_is,
            no_reply=True,
            title=self.queue.name,
            description=f"Handles {', '.join(self._handlers)}.",
        )(self.consume)

    async def consume(self) -> None:
        # The message is read from FastStream's context rather than injected: FastDepends
        # resolves an injected `RabbitMessage` in a worker thread, a thread hop per message.
        assert self._broker is not None
        message: RabbitMessage = self._broker.context.get_local("message")
        raw = message.raw_message
        event_id = raw.message_id or _fingerprint(raw.body)
        # A message without a correlation id keeps one and the same across redeliveries.
        bind_correlation_id(raw.correlation_id or event_id)
        started = time.perf_counter()
        with bound_contextvars(
            queue=self.queue.name, routing_key=raw.routing_key, event_id=event_id
        ):
            async with self._one_at_a_time:
                outcome = await self._consume(message, event_id)
        MESSAGES_CONSUMED.labels(self._service, self.queue.name, outcome).inc()
        MESSAGE_LATENCY.labels(self._service, self.queue.name).observe(
            time.perf_counter() - started
        )

    async def _consume(self, message: RabbitMessage, event_id: str) -> str:
        try:
            applied = await self._apply(message.raw_message.body)
        except Exception as error:
            if never_succeeds(error):
                return await self._park(message, event_id, error)
            return await self._retry_or_park(message, event_id, error)
        await message.ack()
        return "processed" if applied else "duplicate"

    async def _apply(self, body: bytes) -> bool:
        if self._batches is None:
            return await self.process(body)
        event, handler = self._parse(body)
        try:
            return await self._batches.apply(event, handler)
        except BatchFailed:
            return await self.process(body)

    async def process(self, body: bytes) -> bool:
        """Apply one message's effect exactly once; False when it was a duplicate."""
        event, handler = self._parse(body)
        with bound_contextvars(event_type=event.type, tenant_id=str(event.tenantid)):
            async with unit_of_work(self._db, self._uow_factory) as uow:
                if not await claim_message(uow.session, self.queue.inbox_name, event.id):
                    log.info("duplicate message ignored")
                    return False
                await handler(uow, event)
        return True

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
        if (known := self._handler_by_type.get(event_type)) is not None:
            return known
        handler = next(
            (
                handler
                for pattern, handler in self._handlers.items()
                if topic_matches(pattern, event_type)
            ),
            None,
        )
        if handler is not None:  # only types handled: their number is bounded
            self._handler_by_type[event_type] = handler
        return handler

    async def _retry_or_park(self, message: RabbitMessage, event_id: str, error: Exception) -> str:
        attempt = _delivery_count(message.raw_message) + 1
        if attempt >= self._retry.max_attempts:
            return await self._park(message, event_id, error)
        log.warning("message failed, will retry", attempt=attempt, error=repr(error))
        await asyncio.sleep(self._retry.delay(attempt))
        await message.nack(requeue=True)
        return "retried"

    async def _park(self, message: RabbitMessage, event_id: str, error: Exception) -> str:
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
                message_id=event_id,
                correlation_id=raw.correlation_id or event_id,
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
            return "retried"
        await message.ack()
        return "parked"


async def _body_as_is(message: StreamMessage[Any]) -> bytes:
    """The consumer parses the raw body itself (`_parse`): FastStream's own decoding (a
    JSON parse of every message, ~1 % of a bulk invitation's CPU) would be thrown away."""
    return bytes(message.body)


def _fingerprint(body: bytes) -> str:
    """A stable id for a message that came without one: the same on every delivery."""
    return "sha256:" + hashlib.sha256(body).hexdigest()[:32]


def _delivery_count(raw: IncomingMessage) -> int:
    """How many times a quorum queue delivered this message before."""
    count = (raw.headers or {}).get("x-delivery-count", 0)
    return int(count) if isinstance(count, int | str) else 0
