"""The relay's publisher against RabbitMQ: a batch goes out in chunks of what may be in
flight at once, each message with its own confirm and the properties consumers read, in
order, bodies larger than a frame included."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest

from shared.contracts import CONTENT_TYPE
from shared.messaging.publisher import EventPublisher, Outgoing
from shared.messaging.topology import EVENTS_EXCHANGE


@pytest.fixture
async def publisher(private_vhost: str) -> AsyncIterator[EventPublisher]:
    publisher = EventPublisher(private_vhost, max_in_flight=16)
    await publisher.connect()  # declares the events exchange
    yield publisher
    await publisher.stop()


async def test_a_batch_beyond_what_may_be_in_flight_is_published_whole_and_in_order(
    publisher: EventPublisher, private_vhost: str
) -> None:
    connection = await aio_pika.connect(private_vhost)
    channel = await connection.channel()
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(EVENTS_EXCHANGE.name, "test.#")
    messages = [
        Outgoing(f'{{"n": {n}}}'.encode(), "test.published", str(uuid.uuid4()), f"corr-{n}")
        for n in range(100)
    ]
    big = b'{"padding": "' + b"x" * 400_000 + b'"}'  # several frames' worth
    messages.insert(50, Outgoing(big, "test.published", str(uuid.uuid4()), None))

    outcomes = await publisher.publish_many(messages)

    assert outcomes == [None] * len(messages)
    received = []
    async with asyncio.timeout(10):
        async with queue.iterator() as arriving:
            async for message in arriving:
                received.append(message)
                await message.ack()
                if len(received) == len(messages):
                    break
    await connection.close()
    assert [m.body for m in received] == [m.body for m in messages]
    assert [m.message_id for m in received] == [m.message_id for m in messages]
    assert [m.correlation_id for m in received] == [m.correlation_id for m in messages]
    assert {m.content_type for m in received} == {CONTENT_TYPE}
    assert {m.delivery_mode for m in received} == {aio_pika.DeliveryMode.PERSISTENT}
    assert {m.routing_key for m in received} == {"test.published"}


async def test_publishing_while_not_connected_says_so(private_vhost: str) -> None:
    publisher = EventPublisher(private_vhost)
    with pytest.raises(ConnectionError):
        await publisher.publish_many([Outgoing(b"{}", "test.published", "m", None)])
