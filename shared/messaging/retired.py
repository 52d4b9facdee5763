"""Retiring a queue that another one replaced (`ConsumerQueue.replaces`).

RabbitMQ refuses to declare an existing queue with other arguments (PRECONDITION_FAILED),
so a queue that needs new ones (`x-single-active-consumer`) is declared under a new name
and bound like the old one. Each process, at start, after declaring the new queue and
before consuming it:

1. unbinds the old queue from the events exchange: from then on new messages reach only
   the new queue, bound just before (none is lost; one routed to both meanwhile is
   applied once, as the new queue's inbox keeps the old name);
2. consumes the old queue exclusively, one message at a time, applying each as the
   consumer would; a process that can't (another one, or a process of the earlier
   version, is consuming it) waits and tries again;
3. deletes the old queue once it is empty.

The new queue is consumed only once the old one is gone: the old queue's messages are
older than any in the new one, and are applied first. A message the old queue can't
have applied is rejected: its own arguments park it in its dead-letter queue
(`<old>.dead-letter`, kept, as `python -m shared.deadletters` lists it).
"""

import asyncio
import contextlib

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from aio_pika.exceptions import ChannelNotFoundEntity
from aiormq.exceptions import ChannelAccessRefused

from shared.logging import get_logger
from shared.messaging.consumer import EventConsumer, never_succeeds
from shared.messaging.topology import EVENTS_EXCHANGE

log = get_logger(__name__)

RETRY_SECONDS = 1.0  # while another process consumes the old queue
EMPTY_CHECK_SECONDS = 0.2


async def retire_replaced_queue(amqp_url: str, consumer: EventConsumer) -> None:
    """Apply what is left in the queue `consumer.queue` replaced, then delete it; returns
    at once when there is none (the usual case: it was retired at an earlier start)."""
    old_name = consumer.queue.replaces
    if old_name is None:
        return
    connection = await aio_pika.connect(amqp_url)
    try:
        while (old := await _existing(connection, old_name)) is not None:
            for routing_key in consumer.queue.bindings:
                await old.unbind(EVENTS_EXCHANGE.name, routing_key)
            if await _drain(old, consumer):
                log.info("replaced queue drained and deleted", queue=old_name)
                return
            await asyncio.sleep(RETRY_SECONDS)
    finally:
        await connection.close()


async def _existing(connection: aio_pika.abc.AbstractConnection, name: str) -> AbstractQueue | None:
    channel = await connection.channel()
    try:
        return await channel.declare_queue(name, passive=True)
    except ChannelNotFoundEntity:
        return None  # the failed check closed that channel


async def _drain(old: AbstractQueue, consumer: EventConsumer) -> bool:
    """True when the old queue was emptied and deleted; False when another process
    consumes it (try again later)."""
    channel = old.channel
    await channel.set_qos(prefetch_count=1)
    in_hand = asyncio.Lock()
    counts = {"received": 0, "applied": 0}

    async def apply(message: AbstractIncomingMessage) -> None:
        counts["received"] += 1
        async with in_hand:
            await _apply(consumer, message)
            counts["applied"] += 1

    try:
        tag = await old.consume(apply, exclusive=True)
    except ChannelAccessRefused:
        log.info("replaced queue consumed elsewhere; waiting", queue=old.name)
        return False
    while await _ready_messages(channel, old.name) > 0 or in_hand.locked():  # noqa: ASYNC110
        await asyncio.sleep(EMPTY_CHECK_SECONDS)  # (the broker offers no event to wait on)
    await old.cancel(tag)
    await asyncio.sleep(EMPTY_CHECK_SECONDS)  # a message sent before the cancel has arrived
    async with in_hand:
        if counts["received"] > counts["applied"] or await _ready_messages(channel, old.name):
            return False
        # Empty, unbound, and nobody could take a message since (none was ready): deleted
        # without `if_empty`, which quorum queues don't support.
        await old.delete(if_unused=False, if_empty=False)
    return True


async def _ready_messages(channel: AbstractChannel, name: str) -> int:
    declared = await channel.declare_queue(name, passive=True)
    count = declared.declaration_result.message_count
    return count or 0


async def _apply(consumer: EventConsumer, message: AbstractIncomingMessage) -> None:
    retry = consumer.retry
    for attempt in range(1, retry.max_attempts + 1):
        try:
            await consumer.process(message.body)
        except Exception as error:
            if never_succeeds(error) or attempt == retry.max_attempts:
                log.error("replaced queue's message rejected", error=repr(error))
                with contextlib.suppress(Exception):
                    await message.reject(requeue=False)
                return
            await asyncio.sleep(retry.delay(attempt))
        else:
            await message.ack()
            return
