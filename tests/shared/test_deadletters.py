"""`python -m shared.deadletters`: what an operator sees of parked messages, and requeueing
them to the one queue that parked them."""

import asyncio
import json
import subprocess
import sys
import uuid
from typing import Any

import aio_pika
from faststream.rabbit import RabbitBroker

from shared.deadletters import move_back, peek
from shared.messaging.topology import DEAD_LETTER_EXCHANGE, ConsumerQueue, declare_topology

REASON: dict[str, Any] = {
    "x-error": "no user 42 in tenant 7",
    "x-error-type": "NotFound",
    "x-original-routing-key": "invitation.sent",
    "x-attempts": 1,
}


async def _park_two(amqp_url: str) -> ConsumerQueue:
    queue = ConsumerQueue(f"test.{uuid.uuid4().hex[:8]}", ("invitation.sent",))
    broker = RabbitBroker(amqp_url, logger=None)
    await broker.connect()
    await declare_topology(broker, (queue,))
    for message_id in ("first", "second"):
        await broker.publish(
            json.dumps({"id": message_id}).encode(),
            exchange=DEAD_LETTER_EXCHANGE,
            routing_key=queue.name,
            message_id=message_id,
            headers=REASON,
            persist=True,
        )
    await broker.stop()
    return queue


async def test_parked_messages_are_shown_with_their_reason_and_stay_parked(amqp_url: str) -> None:
    queue = await _park_two(amqp_url)
    shown = await peek(amqp_url, queue.name, limit=10)
    assert [p.message_id for p in shown] == ["first", "second"]
    assert shown[0].summary()["x-error"] == "no user 42 in tenant 7"
    assert shown[0].summary()["body"] == {"id": "first"}
    assert len(await peek(amqp_url, queue.name, limit=10)) == 2, "showing removes nothing"


async def test_requeue_sends_one_message_back_to_its_own_queue_without_the_reason(
    amqp_url: str,
) -> None:
    queue = await _park_two(amqp_url)
    assert await move_back(amqp_url, queue.name, "second") == 1
    assert [p.message_id for p in await peek(amqp_url, queue.name, limit=10)] == ["first"]
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    back = await (await channel.get_queue(queue.name)).get(timeout=5)
    assert back.message_id == "second"
    assert json.loads(back.body) == {"id": "second"}
    assert "x-error" not in (back.headers or {})
    await back.ack()
    await connection.close()
    assert await move_back(amqp_url, queue.name, None) == 1


async def test_the_command_lists_dead_letter_queues_with_their_depth(amqp_url: str) -> None:
    queue = await _park_two(amqp_url)
    wanted = f"       2  {queue.dead_letter_name}"
    for _ in range(40):  # rabbitmqctl's figures are the broker's statistics, a few s behind
        listing = (
            await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "shared.deadletters", "list", "--amqp-url", amqp_url],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
        ).stdout
        if wanted in listing.splitlines():
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"{wanted!r} not in {listing!r}")
