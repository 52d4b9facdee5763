"""The consumer's batch mode against real RabbitMQ and PostgreSQL: messages that arrive
together are applied in one transaction, each still once, with its own inbox record; a
message that can't succeed is parked alone, with its reason, and the rest go through."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import asyncpg
import pytest
from faststream.rabbit import Channel, RabbitBroker
from sqlalchemy import text

from shared.contracts import CloudEvent, new_event
from shared.contracts.lms import LearningActivity
from shared.db import Database, asyncpg_dsn, sqlalchemy_dsn
from shared.messaging.batches import BatchApplier
from shared.messaging.consumer import EventConsumer, PermanentError, RetryPolicy
from shared.messaging.topology import ConsumerQueue, declare_topology
from shared.unit_of_work import UnitOfWork
from tests.support.bus import EventPublisher

ACTIVITY = "lms.activity.completed"
BATCH = 50

_EFFECTS = """
CREATE TABLE IF NOT EXISTS batch_effects (
    queue text NOT NULL, event_id text NOT NULL, title text NOT NULL, txid bigint NOT NULL
)
"""


class WritingHandler:
    """Writes one row per event it applies (with the transaction's id), in the consumer's
    transaction: a rolled-back batch leaves nothing. Refuses the events it is told to."""

    def __init__(self, queue: str, refuse: dict[str, Exception] | None = None) -> None:
        self._queue = queue
        self._refuse = refuse or {}

    async def __call__(self, uow: UnitOfWork, event: CloudEvent[Any]) -> None:
        if event.id in self._refuse:
            raise self._refuse[event.id]
        await uow.session.execute(
            text(
                "INSERT INTO batch_effects (queue, event_id, title, txid)"
                " VALUES (:queue, :id, :title, txid_current())"
            ),
            {"queue": self._queue, "id": event.id, "title": event.data.title},
        )


class BatchConsumer:
    def __init__(self, amqp_url: str, database_url: str, events: EventPublisher) -> None:
        self.queue = ConsumerQueue(f"test.{uuid.uuid4().hex[:8]}", (ACTIVITY,), batch_size=BATCH)
        self.db = Database(sqlalchemy_dsn(database_url))
        self.events = events
        self.broker = RabbitBroker(
            amqp_url, logger=None, default_channel=Channel(prefetch_count=2 * BATCH)
        )
        self._amqp_url = amqp_url
        self._database_url = asyncpg_dsn(sqlalchemy_dsn(database_url))

    async def declare(self) -> None:
        """The queue exists (messages wait in it) before anything consumes it."""
        await self.broker.connect()
        await declare_topology(self.broker, (self.queue,))
        connection = await asyncpg.connect(self._database_url)
        try:
            await connection.execute(_EFFECTS)
        finally:
            await connection.close()

    async def start(self, handler: WritingHandler) -> None:
        EventConsumer(self.queue, {ACTIVITY: handler}, self.db, RetryPolicy(3, 0.01)).register(
            self.broker
        )
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()
        await self.db.dispose()

    async def publish(self, event: CloudEvent[Any]) -> None:
        await self.events.publish_raw(ACTIVITY, event.model_dump_json().encode(), event.id)

    async def effects(self) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self._database_url)
        try:
            return await connection.fetch(
                "SELECT event_id, title, txid FROM batch_effects WHERE queue = $1", self.queue.name
            )
        finally:
            await connection.close()

    async def inbox(self) -> set[str]:
        connection = await asyncpg.connect(self._database_url)
        try:
            rows = await connection.fetch(
                "SELECT message_id FROM processed_messages WHERE consumer = $1", self.queue.name
            )
        finally:
            await connection.close()
        return {row["message_id"] for row in rows}

    async def wait_for_effects(self, count: int, within: float = 30.0) -> list[asyncpg.Record]:
        for _ in range(int(within / 0.1)):
            found = await self.effects()
            if len(found) >= count:
                return found
            await asyncio.sleep(0.1)
        raise AssertionError(f"{len(found)} of {count} events applied")

    async def dead_letters(self, expected: int) -> list[aio_pika.abc.AbstractIncomingMessage]:
        connection = await aio_pika.connect(self._amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.get_queue(self.queue.dead_letter_name)
            found: list[aio_pika.abc.AbstractIncomingMessage] = []
            for _ in range(200):
                message = await queue.get(no_ack=True, fail=False)
                if message is not None:
                    found.append(message)
                if len(found) >= expected:
                    break
                if message is None:
                    await asyncio.sleep(0.05)
            return found


def activity_event(n: int) -> CloudEvent[LearningActivity]:
    data = LearningActivity(
        activity_id=f"a-{n}",
        user_id=uuid.uuid4(),
        title=f"Module {n}",
        occurred_at="2026-01-01T00:00:00Z",
    )
    return new_event(ACTIVITY, source="/tests", tenant_id=uuid.uuid4(), data=data)


@pytest.fixture
async def batch_consumer(
    amqp_url: str, messaging_db: str, events: EventPublisher
) -> AsyncIterator[BatchConsumer]:
    consumer = BatchConsumer(amqp_url, messaging_db, events)
    await consumer.declare()
    yield consumer
    await consumer.stop()


async def test_messages_waiting_together_are_applied_in_batches_each_once(
    batch_consumer: BatchConsumer,
) -> None:
    sent = [activity_event(n) for n in range(300)]
    for event in sent:
        await batch_consumer.publish(event)
    for event in sent[:20]:  # the same messages again: no second effect
        await batch_consumer.publish(event)

    await batch_consumer.start(WritingHandler(batch_consumer.queue.name))

    effects = await batch_consumer.wait_for_effects(300)
    await asyncio.sleep(0.5)  # let the redelivered copies be processed before counting
    effects = await batch_consumer.effects()
    applied = [row["event_id"] for row in effects]
    assert sorted(applied) == sorted(event.id for event in sent)
    assert {row["title"] for row in effects} == {f"Module {n}" for n in range(300)}
    assert await batch_consumer.inbox() == {event.id for event in sent}
    transactions = {row["txid"] for row in effects}
    assert len(transactions) <= 300 / 5, f"{len(transactions)} transactions for 300 messages"
    assert await batch_consumer.dead_letters(expected=1) == []


async def test_a_poison_message_in_a_batch_is_parked_alone_and_the_others_go_through(
    batch_consumer: BatchConsumer,
) -> None:
    sent = [activity_event(n) for n in range(120)]
    poison = sent[37]
    unreadable = json.loads(sent[80].model_dump_json())
    del unreadable["data"]["user_id"]
    for event in sent:
        if event is sent[80]:
            await batch_consumer.events.publish_raw(
                ACTIVITY, json.dumps(unreadable).encode(), event.id
            )
        else:
            await batch_consumer.publish(event)
    refusal = PermanentError("no such learner in this tenant")

    await batch_consumer.start(WritingHandler(batch_consumer.queue.name, {poison.id: refusal}))

    parked = await batch_consumer.dead_letters(expected=2)
    reasons = {json.loads(m.body)["id"]: str(m.headers["x-error"]) for m in parked}
    assert reasons.keys() == {poison.id, sent[80].id}
    assert "no such learner in this tenant" in reasons[poison.id]
    assert "breaks its contract" in reasons[sent[80].id]
    good = {event.id for event in sent} - {poison.id, sent[80].id}
    effects = await batch_consumer.wait_for_effects(len(good))
    assert sorted(row["event_id"] for row in effects) == sorted(good)
    assert await batch_consumer.inbox() == good
    await asyncio.sleep(0.3)
    assert len(await batch_consumer.dead_letters(expected=1)) == 0  # parked once each


async def test_when_the_one_applying_a_batch_is_cancelled_the_next_in_line_applies_the_rest(
    batch_consumer: BatchConsumer,
) -> None:
    """The messages waiting behind a batch are applied by the first of them once that
    batch is done; when the message leading it is cancelled (its delivery dropped), its
    batch is rolled back and the next one in line takes over."""
    events = [activity_event(n) for n in range(25)]
    writes = WritingHandler(batch_consumer.queue.name)
    blocked = asyncio.Event()

    async def handler(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
        if event.id == events[0].id:
            blocked.set()
            await asyncio.Event().wait()  # until cancelled
        await writes(uow, event)

    applier = BatchApplier(batch_consumer.queue.inbox_name, batch_consumer.db, UnitOfWork, 10)
    deliveries = [asyncio.create_task(applier.apply(event, handler)) for event in events]
    await blocked.wait()
    deliveries[0].cancel()

    applied = await asyncio.wait_for(asyncio.gather(*deliveries[1:]), 30)

    assert applied == [True] * 24
    effects = await batch_consumer.effects()
    assert sorted(row["event_id"] for row in effects) == sorted(e.id for e in events[1:])
    assert await batch_consumer.inbox() == {event.id for event in events[1:]}
