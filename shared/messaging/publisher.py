"""The connection the outbox relay publishes on: its own, with publisher confirms.

Plain aio-pika rather than the FastStream broker: the relay only forwards bytes the
outbox already holds, and FastStream's per-message publishing path cost it a third of
its throughput (bench/outbox_relay.py). Consumers keep using FastStream.

At most `max_in_flight` publications wait for their confirm at a time. aio-pika writes
the publications of one channel one after the other under a lock; starting a whole batch
at once made the last ones wait their turn inside their timeout, and under load healthy
publications timed out (188 of 500 with 10 ms of other work per event-loop turn; none
with 100 in flight). The timeout starts when a publication gets its place.
"""

import asyncio

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection

from shared.contracts import CONTENT_TYPE
from shared.logging import forget_repeated_lines, get_logger
from shared.messaging.topology import EVENTS_EXCHANGE

log = get_logger(__name__)


class EventPublisher:
    def __init__(
        self, amqp_url: str, *, timeout_seconds: float = 10.0, max_in_flight: int = 100
    ) -> None:
        self._url = amqp_url
        self._timeout = timeout_seconds
        self._places = asyncio.Semaphore(max_in_flight)
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._lost_broker = False

    async def connect(self) -> None:
        """Raises while the broker can't be reached; once connected, aio-pika reconnects
        by itself after an outage."""
        connection = await aio_pika.connect_robust(self._url, timeout=self._timeout)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.declare_exchange(
                EVENTS_EXCHANGE.name, aio_pika.ExchangeType.TOPIC, durable=True
            )
        except BaseException:
            await connection.close()
            raise
        connection.close_callbacks.add(self._lost)
        connection.reconnect_callbacks.add(self._back)
        self._connection, self._channel, self._exchange = connection, channel, exchange

    def _lost(self, _: object, error: BaseException | None = None) -> None:
        """Once per outage (aio-pika calls this on every failed reconnection too); it
        reconnects by itself, and its own lines about each attempt are written once
        (shared.logging.RepeatsSuppressed)."""
        if self._connection is None or error is None or self._lost_broker:
            return
        self._lost_broker = True
        log.warning("lost the broker; events wait in the outbox, reconnecting", error=repr(error))

    def _back(self, _: object) -> None:
        if self._lost_broker:
            self._lost_broker = False
            log.info("reconnected to the broker")
            forget_repeated_lines()  # the next outage is told again

    @property
    def connected(self) -> bool:
        return (
            self._connection is not None
            and not self._connection.is_closed
            and self._channel is not None
            and not self._channel.is_closed
        )

    async def stop(self) -> None:
        connection, self._connection = self._connection, None
        self._channel = self._exchange = None
        if connection is not None:
            await connection.close()

    async def publish(
        self, body: bytes, routing_key: str, message_id: str, correlation_id: str | None
    ) -> None:
        """Returns once the broker confirmed the message (persistent); raises TimeoutError
        when the confirm takes longer than the timeout. An event nobody is bound to yet is
        not an error (not mandatory)."""
        if self._exchange is None:
            raise ConnectionError("the publisher is not connected to the broker")
        message = aio_pika.Message(
            body,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message_id,
            correlation_id=correlation_id,
            content_type=CONTENT_TYPE,
        )
        async with self._places, asyncio.timeout(self._timeout):
            await self._exchange.publish(message, routing_key=routing_key, mandatory=False)
