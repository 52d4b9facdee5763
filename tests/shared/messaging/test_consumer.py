"""The idempotent consumer against real RabbitMQ and PostgreSQL: one effect per message,
retries for passing failures, the dead-letter queue (with the reason) for the rest."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aio_pika
import pytest
from faststream.rabbit import RabbitBroker

from shared.contracts import CloudEvent, new_event
from shared.contracts.lms import LearningActivity
from shared.db import Database, sqlalchemy_dsn
from shared.errors import ChangedMeanwhile, NotFound, RateLimited, Unavailable
from shared.messaging.consumer import EventConsumer, PermanentError, RetryPolicy
from shared.messaging.topology import ConsumerQueue, declare_topology
from shared.unit_of_work import UnitOfWork
from tests.support.bus import EventPublisher

ACTIVITY = "lms.activity.completed"


class Recorder:
    """A handler that records the events it applied and can be told to fail."""

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.applied: list[str] = []
        self.calls = 0
        self._failures = failures
        self._error = error or RuntimeError("database hiccup")

    async def __call__(self, uow: UnitOfWork, event: CloudEvent[Any]) -> None:
        self.calls += 1
        if self.calls <= self._failures:
            raise self._error
        self.applied.append(event.id)


class ConsumerUnderTest:
    def __init__(
        self, amqp_url: str, database_url: str, events: EventPublisher, handler: Recorder
    ) -> None:
        self.queue = ConsumerQueue(f"test.{uuid.uuid4().hex[:8]}", (ACTIVITY,))
        self.db = Database(sqlalchemy_dsn(database_url))
        self.events = events
        self.broker = RabbitBroker(amqp_url, logger=None)
        self.consumer = EventConsumer(
            self.queue, {ACTIVITY: handler}, self.db, RetryPolicy(3, 0.01)
        )
        self.consumer.register(self.broker)
        self._amqp_url = amqp_url

    async def start(self) -> None:
        await self.broker.connect()
        await declare_topology(self.broker, (self.queue,))
        await self.broker.start()
        self._connection = await aio_pika.connect_robust(self._amqp_url)
        self._channel = await self._connection.channel()

    async def stop(self) -> None:
        await self._connection.close()
        await self.broker.stop()
        await self.db.dispose()

    async def publish(self, body: bytes, message_id: str) -> None:
        await self.events.publish_raw(ACTIVITY, body, message_id)

    async def dead_letters(self, expected: int) -> list[aio_pika.abc.AbstractIncomingMessage]:
        queue = await self._channel.get_queue(self.queue.dead_letter_name)
        found: list[aio_pika.abc.AbstractIncomingMessage] = []
        for _ in range(200):
            message = await queue.get(no_ack=True, fail=False)
            if message is not None:
                found.append(message)
            if len(found) >= expected:
                return found
            if message is None:
                await asyncio.sleep(0.05)
        return found


def activity_event() -> CloudEvent[LearningActivity]:
    data = LearningActivity(
        activity_id="a-1",
        user_id=uuid.uuid4(),
        title="Module 1",
        occurred_at="2026-01-01T00:00:00Z",
    )
    return new_event(ACTIVITY, source="/tests", tenant_id=uuid.uuid4(), data=data)


@pytest.fixture
async def consumer_factory(
    amqp_url: str, messaging_db: str, events: EventPublisher
) -> AsyncIterator[Any]:
    started: list[ConsumerUnderTest] = []

    async def start(handler: Recorder) -> ConsumerUnderTest:
        consumer = ConsumerUnderTest(amqp_url, messaging_db, events, handler)
        await consumer.start()
        started.append(consumer)
        return consumer

    yield start
    for consumer in started:
        await consumer.stop()


async def wait_until(condition: Any, within: float = 10.0) -> None:
    for _ in range(int(within / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_the_same_message_three_times_has_one_effect(consumer_factory: Any) -> None:
    handler = Recorder()
    consumer = await consumer_factory(handler)
    event = activity_event()
    for _ in range(3):
        await consumer.publish(event.model_dump_json().encode(), event.id)
    other = activity_event()
    await consumer.publish(other.model_dump_json().encode(), other.id)

    await wait_until(lambda: other.id in handler.applied)
    await asyncio.sleep(0.3)  # let any straggling duplicate arrive before counting
    assert handler.applied.count(event.id) == 1


async def test_a_passing_failure_is_retried_and_applied_once(consumer_factory: Any) -> None:
    handler = Recorder(failures=2)
    consumer = await consumer_factory(handler)
    event = activity_event()
    await consumer.publish(event.model_dump_json().encode(), event.id)

    await wait_until(lambda: handler.applied == [event.id])
    assert handler.calls == 3
    assert await consumer.dead_letters(expected=1) == []


async def test_a_message_that_keeps_failing_is_parked_with_its_error(consumer_factory: Any) -> None:
    handler = Recorder(failures=100, error=RuntimeError("the projection table is locked"))
    consumer = await consumer_factory(handler)
    event = activity_event()
    await consumer.publish(event.model_dump_json().encode(), event.id)

    [parked] = await consumer.dead_letters(expected=1)
    assert json.loads(parked.body)["id"] == event.id
    assert "the projection table is locked" in str(parked.headers["x-error"])
    assert parked.headers["x-attempts"] == 3
    assert handler.applied == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not a valid CloudEvent"),
        (b'{"specversion": "1.0", "id": "x"}', "not a valid CloudEvent"),
    ],
)
async def test_an_unreadable_message_is_parked_at_once(
    consumer_factory: Any, body: bytes, reason: str
) -> None:
    handler = Recorder()
    consumer = await consumer_factory(handler)
    await consumer.publish(body, str(uuid.uuid4()))

    [parked] = await consumer.dead_letters(expected=1)
    assert parked.body == body
    assert reason in str(parked.headers["x-error"])
    assert handler.calls == 0


async def test_data_breaking_its_contract_is_parked_at_once(consumer_factory: Any) -> None:
    handler = Recorder()
    consumer = await consumer_factory(handler)
    event = json.loads(activity_event().model_dump_json())
    del event["data"]["user_id"]
    await consumer.publish(json.dumps(event).encode(), event["id"])

    [parked] = await consumer.dead_letters(expected=1)
    assert "breaks its contract" in str(parked.headers["x-error"])
    assert "user_id" in str(parked.headers["x-error"])
    assert handler.calls == 0


async def test_a_handler_can_refuse_a_message_for_good(consumer_factory: Any) -> None:
    handler = Recorder(failures=1, error=PermanentError("no such user in this tenant"))
    consumer = await consumer_factory(handler)
    event = activity_event()
    await consumer.publish(event.model_dump_json().encode(), event.id)

    [parked] = await consumer.dead_letters(expected=1)
    assert "no such user in this tenant" in str(parked.headers["x-error"])
    assert handler.calls == 1


async def test_a_domain_error_is_parked_at_once(consumer_factory: Any) -> None:
    handler = Recorder(failures=1, error=NotFound("no user 42 in tenant 7"))
    consumer = await consumer_factory(handler)
    event = activity_event()
    await consumer.publish(event.model_dump_json().encode(), event.id)

    [parked] = await consumer.dead_letters(expected=1)
    assert parked.headers["x-error-type"] == "NotFound"
    assert "no user 42 in tenant 7" in str(parked.headers["x-error"])
    assert handler.calls == 1


async def test_a_concurrent_change_is_retried_not_parked(consumer_factory: Any) -> None:
    handler = Recorder(failures=1, error=ChangedMeanwhile("The user was changed meanwhile."))
    consumer = await consumer_factory(handler)
    event = activity_event()
    await consumer.publish(event.model_dump_json().encode(), event.id)

    await wait_until(lambda: handler.applied == [event.id])
    assert handler.calls == 2
    assert await consumer.dead_letters(expected=1) == []


@pytest.mark.parametrize(
    "error",
    [
        Unavailable("the certificate server does not answer"),
        RateLimited("too many at once", retry_after=timedelta(seconds=1)),
    ],
    ids=["unavailable", "rate-limited"],
)
async def test_a_domain_error_that_says_try_later_is_retried(
    consumer_factory: Any, error: Exception
) -> None:
    handler = Recorder(failures=1, error=error)
    consumer = await consumer_factory(handler)
    event = activity_event()
    await consumer.publish(event.model_dump_json().encode(), event.id)

    await wait_until(lambda: handler.applied == [event.id])
    assert handler.calls == 2
    assert await consumer.dead_letters(expected=1) == []
