"""The connection the outbox relay publishes on: its own, with publisher confirms.

Plain aio-pika rather than the FastStream broker: the relay only forwards bytes the
outbox already holds, and FastStream's per-message publishing path cost it a third of
its throughput (bench/outbox_relay.py). Consumers keep using FastStream.

At most `max_in_flight` publications wait for their confirm at a time, and the timeout
is the broker's: a publication fails when no confirm at all came for that long (see
`_confirmed`), not when a busy process was slow to get it on the wire.
"""

import asyncio
from typing import Any

import aio_pika
import aiormq
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
        self._waiting = 0  # publications waiting for their confirm
        self._progress_at = 0.0  # when the broker last confirmed one (loop time)

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
        if self._channel is None or self._channel.is_closed:
            raise ConnectionError("the publisher is not connected to the broker")
        properties = aio_pika.Message(
            body,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message_id,
            correlation_id=correlation_id,
            content_type=CONTENT_TYPE,
        ).properties
        async with self._places:
            channel = await self._channel.get_underlay_channel()
            assert isinstance(channel, aiormq.Channel)  # the abstract one lacks `wait`
            # wait=False: aiormq would otherwise hold the channel's lock until the
            # frame is on the socket, and the publications queued behind it go out
            # one per event-loop turn. The confirm is awaited either way.
            publication = asyncio.ensure_future(
                channel.basic_publish(
                    body,
                    exchange=EVENTS_EXCHANGE.name,
                    routing_key=routing_key,
                    properties=properties,
                    mandatory=False,
                    wait=False,
                )
            )
            await self._confirmed(publication)

    async def _confirmed(self, publication: "asyncio.Future[Any]") -> None:
        """Wait for the broker's confirm; time out only when the broker confirmed nothing
        at all for the whole timeout.

        A publication's own age is no measure on a busy process: the publications of a
        channel pass one by one through aiormq's lock and its frame queue, each hand-over
        costing an event-loop turn, so the last of a batch spent its timeout in that
        queue while the broker confirmed the others within 280 ms (tests/faults/
        test_two_replicas.py: up to 286 of a batch timed out, then were published again).
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        if self._waiting == 0:
            self._progress_at = started
        self._waiting += 1
        try:
            while True:
                since = max(started, self._progress_at)
                left = since + self._timeout - loop.time()
                if left <= 0:
                    raise TimeoutError(f"no confirm from the broker for {self._timeout} s")
                done, _ = await asyncio.wait({publication}, timeout=left)
                if done:
                    self._progress_at = loop.time()
                    publication.result()  # a nack or a closed channel raises here
                    return
        finally:
            self._waiting -= 1
            publication.cancel()  # no-op once done
