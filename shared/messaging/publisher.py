"""The connection the outbox relay publishes on: its own, with publisher confirms.

Plain aio-pika rather than the FastStream broker: the relay only forwards bytes the
outbox already holds, and FastStream's per-message publishing path cost it a third of
its throughput (bench/outbox_relay.py). Consumers keep using FastStream.

At most `max_in_flight` publications wait for their confirm at a time, and the timeout
is the broker's: a publication fails when no confirm at all came for that long (see
`publish_many`), not when a busy process was slow to get it on the wire.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection
from aiormq.abc import ChannelFrame
from pamqp import commands as spec
from pamqp.header import ContentHeader

from shared.contracts import CONTENT_TYPE
from shared.logging import forget_repeated_lines, get_logger
from shared.messaging.topology import EVENTS_EXCHANGE

log = get_logger(__name__)

PERSISTENT = 2  # AMQP delivery mode


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to publish to the events exchange."""

    body: bytes
    routing_key: str
    message_id: str
    correlation_id: str | None


class EventPublisher:
    def __init__(
        self, amqp_url: str, *, timeout_seconds: float = 10.0, max_in_flight: int = 100
    ) -> None:
        self._url = amqp_url
        self._timeout = timeout_seconds
        self._max_in_flight = max_in_flight
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._lost_broker = False
        self._unconfirmed = 0  # publications waiting for their confirm
        self._progress_at = 0.0  # when the broker last confirmed one (loop time)
        self._confirmed = asyncio.Event()  # set at each confirm (or nack)

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

    async def publish_many(self, messages: Sequence[Outgoing]) -> list[BaseException | None]:
        """Publish persistent messages and wait for the broker's confirms: each message's
        outcome, in order (None: confirmed; a TimeoutError when the broker confirmed
        nothing at all for the timeout; the nack or the closed channel otherwise). An event
        nobody is bound to yet is not an error (not mandatory).

        At most `max_in_flight` wait for their confirm at a time; what may go out at once
        is written to the socket as one piece. aiormq's `basic_publish` put each message
        through the channel's lock, a task, the frame queue and its own socket write: about
        half the service's CPU while a bulk job's events went out (docs/performance.md,
        issue 16, fourth round)."""
        if self._channel is None or self._channel.is_closed:
            raise ConnectionError("the publisher is not connected to the broker")
        channel = await self._channel.get_underlay_channel()
        assert isinstance(channel, aiormq.Channel)
        confirmations: list[asyncio.Future[Any]] = []
        loop = asyncio.get_running_loop()
        started = loop.time()
        if self._unconfirmed == 0:
            self._progress_at = started
        sent = 0
        try:
            while True:
                room = self._max_in_flight - self._unconfirmed
                if room > 0 and sent < len(messages):
                    chunk = messages[sent : sent + room]
                    confirmations += await self._write(channel, chunk)
                    sent += len(chunk)
                    continue
                if sent == len(messages) and all(c.done() for c in confirmations):
                    break
                left = max(started, self._progress_at) + self._timeout - loop.time()
                if left <= 0:
                    break
                self._confirmed.clear()
                try:
                    async with asyncio.timeout(left):
                        await self._confirmed.wait()
                except TimeoutError:
                    break
        finally:
            for confirmation in confirmations:
                confirmation.cancel()  # no-op once done; the others count as timed out
        outcomes = [_outcome(c, self._timeout) for c in confirmations]
        unsent = len(messages) - len(outcomes)  # no room for them before the timeout
        return outcomes + [_timed_out(self._timeout)] * unsent

    async def _write(
        self, channel: aiormq.Channel, chunk: Sequence[Outgoing]
    ) -> list[asyncio.Future[Any]]:
        """The chunk's frames in one piece on the channel's frame queue, each message with
        its delivery tag's confirmation registered as aiormq's `basic_publish` does (its
        reader resolves them from the broker's acks and nacks)."""
        frames: list[Any] = []
        for message in chunk:
            frames.append(
                spec.Basic.Publish(exchange=EVENTS_EXCHANGE.name, routing_key=message.routing_key)
            )
            properties = spec.Basic.Properties(
                delivery_mode=PERSISTENT,
                message_id=message.message_id,
                correlation_id=message.correlation_id,
                content_type=CONTENT_TYPE,
                headers={},  # as aio-pika's Message sends them: the same bytes
                priority=0,
            )
            frames.append(ContentHeader(properties=properties, body_size=len(message.body)))
            frames += channel._split_body(message.body)
        payload = ChannelFrame.marshall(channel_number=channel.number, frames=frames)
        confirmations = [channel.create_future() for _ in chunk]
        async with channel.lock:
            first = channel.delivery_tag + 1
            channel.delivery_tag += len(chunk)
            for tag, confirmation in enumerate(confirmations, first):
                channel.confirmations[tag] = confirmation
            try:
                await channel.write_queue.put(payload)
            except BaseException:
                # Not on the wire: the broker has not seen these delivery tags.
                channel.delivery_tag -= len(chunk)
                for tag, confirmation in enumerate(confirmations, first):
                    channel.confirmations.pop(tag, None)
                    confirmation.cancel()
                raise
        self._unconfirmed += len(chunk)
        for confirmation in confirmations:
            confirmation.add_done_callback(self._one_confirmed)
        return confirmations

    def _one_confirmed(self, confirmation: "asyncio.Future[Any]") -> None:
        self._unconfirmed -= 1
        if not confirmation.cancelled():  # the broker answered (cancelled: timed out)
            self._progress_at = asyncio.get_running_loop().time()
            self._confirmed.set()


def _outcome(confirmation: "asyncio.Future[Any]", timeout: float) -> BaseException | None:
    if confirmation.cancelled():
        return _timed_out(timeout)
    return confirmation.exception()


def _timed_out(timeout: float) -> TimeoutError:
    return TimeoutError(f"no confirm from the broker for {timeout} s")
