"""The connection the outbox relay publishes on: its own, with publisher confirms.

Plain aio-pika rather than the FastStream broker: the relay only forwards bytes the
outbox already holds, and FastStream's per-message publishing path cost it a third of
its throughput (bench/outbox_relay.py). Consumers keep using FastStream.
"""

import asyncio

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractRobustConnection

from shared.contracts import CONTENT_TYPE
from shared.messaging.topology import EVENTS_EXCHANGE


class EventPublisher:
    def __init__(self, amqp_url: str, timeout_seconds: float = 10.0) -> None:
        self._url = amqp_url
        self._timeout = timeout_seconds
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self._url)
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await channel.declare_exchange(
            EVENTS_EXCHANGE.name, aio_pika.ExchangeType.TOPIC, durable=True
        )

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def publish(
        self, body: bytes, routing_key: str, message_id: str, correlation_id: str | None
    ) -> None:
        """Returns once the broker confirmed the message (persistent); raises TimeoutError
        when that takes longer than the timeout (e.g. while reconnecting). An event nobody
        is bound to yet is not an error (not mandatory)."""
        if self._exchange is None:
            raise RuntimeError("the publisher is not started")
        message = aio_pika.Message(
            body,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message_id,
            correlation_id=correlation_id,
            content_type=CONTENT_TYPE,
        )
        async with asyncio.timeout(self._timeout):
            await self._exchange.publish(message, routing_key=routing_key, mandatory=False)
