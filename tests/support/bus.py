"""The bus as the tests see it: one publisher to put events on it as the other services do
(`EventPublisher`), a spy on everything published (`BusSpy`), the dead-letter queues
(`DeadLetters`), and knowing when a queue has been worked off (`drained`).

Exchange names come from `shared.messaging.topology`, as the services' own do.
"""

import asyncio
import json
import shutil
import subprocess
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractIncomingMessage
from pydantic import BaseModel

from shared.contracts import CONTENT_TYPE, CloudEvent, new_event
from shared.messaging.topology import DEAD_LETTER_EXCHANGE, DEAD_LETTER_SUFFIX, EVENTS_EXCHANGE

SOURCES = {
    "invitation": "/services/invitations",
    "email": "/services/bounces",
    "lms": "/lms",
}


def source_of(event_type: str) -> str:
    return SOURCES.get(event_type.split(".")[0], "/tests")


class EventPublisher:
    """Publishes CloudEvents persistently to the events exchange, as the other services do:
    routing key = event type, AMQP message_id = event id, with publisher confirms."""

    def __init__(self, amqp_url: str) -> None:
        self._url = amqp_url

    async def start(self) -> "EventPublisher":
        self._connection = await aio_pika.connect_robust(self._url)
        channel = await self._connection.channel(publisher_confirms=True)
        self._default_exchange = channel.default_exchange
        self._exchange = await channel.declare_exchange(
            EVENTS_EXCHANGE.name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        return self

    async def stop(self) -> None:
        await self._connection.close()

    async def publish(
        self,
        event_type: str,
        tenant_id: uuid.UUID,
        data: BaseModel | dict[str, Any],
        *,
        subject: str | None = None,
        event_id: str | None = None,
    ) -> dict[str, Any]:
        """Publish one event; returns the envelope as sent (its `id` is the message id).
        `data` as a dict is sent as is, even when it breaks its contract."""
        source = source_of(event_type)
        if isinstance(data, BaseModel):
            event = new_event(event_type, source=source, tenant_id=tenant_id, data=data)
            envelope: dict[str, Any] = json.loads(event.model_dump_json())
        else:
            empty: CloudEvent[dict[str, Any]] = new_event(
                event_type, source=source, tenant_id=tenant_id, data={}
            )
            envelope = {**json.loads(empty.model_dump_json()), "data": data}
        envelope["subject"] = subject or envelope.get("subject")
        if event_id is not None:
            envelope["id"] = event_id
        await self.publish_raw(event_type, json.dumps(envelope).encode(), envelope["id"])
        return envelope

    async def publish_event(self, event: CloudEvent[Any]) -> None:
        """Publish an event made with `shared.contracts.new_event`, exactly as built."""
        await self.publish_raw(event.type, event.model_dump_json().encode(), event.id)

    async def publish_raw(self, routing_key: str, body: bytes, message_id: str) -> None:
        await self._exchange.publish(_message(body, message_id), routing_key=routing_key)

    async def send_to_queue(self, queue: str, body: bytes, message_id: str) -> None:
        """Put a message straight into one queue, past the exchange: for bodies that are
        not events at all, which nothing else listening on the bus should have to read."""
        await self._default_exchange.publish(_message(body, message_id), routing_key=queue)


def _message(body: bytes, message_id: str) -> aio_pika.Message:
    return aio_pika.Message(
        body,
        message_id=message_id,
        content_type=CONTENT_TYPE,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


@dataclass(frozen=True)
class Seen:
    routing_key: str
    message_id: str | None
    body: dict[str, Any]
    headers: dict[str, Any]
    correlation_id: str | None = None

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.body.get("data", {})
        return data


class BusSpy:
    """A private queue bound to every event, to see what the services publish."""

    def __init__(self, amqp_url: str) -> None:
        self._url = amqp_url
        self.seen: list[Seen] = []
        self._arrived = asyncio.Condition()

    async def start(self) -> "BusSpy":
        self._connection = await aio_pika.connect_robust(self._url)
        channel = await self._connection.channel()
        events = await channel.declare_exchange(
            EVENTS_EXCHANGE.name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(events, routing_key="#")
        await queue.consume(self._on_message, no_ack=True)
        return self

    async def stop(self) -> None:
        await self._connection.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        seen = Seen(
            message.routing_key or "",
            message.message_id,
            json.loads(message.body),
            dict(message.headers or {}),
            message.correlation_id,
        )
        async with self._arrived:
            self.seen.append(seen)
            self._arrived.notify_all()

    def matching(self, routing_key: str, **where: Any) -> list[Seen]:
        return [s for s in self.seen if s.routing_key == routing_key and _matches(s, where)]

    async def wait_for(
        self, routing_key: str, within: float = 10.0, count: int = 1, **where: Any
    ) -> list[Seen]:
        """Wait until `count` events of that type match `where` (envelope or data fields)."""

        def enough() -> bool:
            return len(self.matching(routing_key, **where)) >= count

        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(enough), within)
            except TimeoutError:
                found = self.matching(routing_key, **where)
                raise AssertionError(
                    f"expected {count} {routing_key} matching {where}, saw {len(found)}"
                ) from None
        return self.matching(routing_key, **where)


def _matches(seen: Seen, where: dict[str, Any]) -> bool:
    def value(key: str) -> Any:
        return seen.body[key] if key in seen.body else seen.data.get(key)

    return all(str(value(k)) == str(v) for k, v in where.items())


@dataclass(frozen=True)
class Parked:
    queue: str
    message_id: str | None
    body: bytes
    headers: dict[str, Any]


class DeadLetters:
    """Consumes the dead-letter queues of the given queues and keeps what arrives there."""

    def __init__(self, amqp_url: str, queues: list[str]) -> None:
        self._url = amqp_url
        self._queues = queues
        self.parked: list[Parked] = []
        self._arrived = asyncio.Condition()

    async def start(self) -> "DeadLetters":
        self._connection = await aio_pika.connect_robust(self._url)
        channel = await self._connection.channel()
        self._exchange = await channel.get_exchange(DEAD_LETTER_EXCHANGE.name)
        for name in self._queues:
            queue = await channel.get_queue(name + DEAD_LETTER_SUFFIX, ensure=True)
            await queue.consume(self._receiver(name))
        return self

    async def stop(self) -> None:
        await self._connection.close()

    def _receiver(self, name: str) -> Any:
        async def receive(message: AbstractIncomingMessage) -> None:
            parked = Parked(name, message.message_id, message.body, dict(message.headers or {}))
            await message.ack()
            async with self._arrived:
                self.parked.append(parked)
                self._arrived.notify_all()

        return receive

    async def caught_up(self, queue: str) -> None:
        """Wait until everything parked so far for `queue` has been seen here: a marker
        parked after it arrives after it (one queue, one consumer, in order)."""
        marker = f"marker-{uuid.uuid4()}"
        await self._exchange.publish(aio_pika.Message(b"{}", message_id=marker), routing_key=queue)
        await self.wait_for(marker)

    def about(self, message_id: str) -> list[Parked]:
        return [p for p in self.parked if p.message_id == message_id]

    async def wait_for(self, message_id: str, within: float = 15.0) -> Parked:
        async with self._arrived:
            try:
                await asyncio.wait_for(
                    self._arrived.wait_for(lambda: bool(self.about(message_id))), within
                )
            except TimeoutError:
                raise AssertionError(
                    f"message {message_id} never reached a dead-letter queue"
                ) from None
        return self.about(message_id)[0]


def _vhost(amqp_url: str) -> str:
    path = urllib.parse.urlsplit(amqp_url).path
    return urllib.parse.unquote(path[1:]) if len(path) > 1 else "/"


def _rabbitmqctl(*args: str) -> list[list[str]]:
    if shutil.which("rabbitmqctl") is None:
        raise RuntimeError("rabbitmqctl is needed to see what a queue's consumers hold")
    listing = subprocess.run(
        ["rabbitmqctl", *args, "-q", "--no-table-headers"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return [line.split("\t") for line in listing.splitlines() if line]


def queue_depth(amqp_url: str, queue: str) -> int:
    """Messages in `queue` that are not yet acknowledged (ready + being processed), as
    RabbitMQ's statistics say: they lag a few seconds behind (see `drained`)."""
    for name, count in _rabbitmqctl("list_queues", "-p", _vhost(amqp_url), "name", "messages"):
        if name == queue:
            return int(count)
    raise AssertionError(f"no queue {queue}")


def unacknowledged(amqp_url: str, queue: str) -> int:
    """Messages of `queue` delivered to its consumers and not yet acknowledged, as their
    channels say now (a channel may consume other queues too: it only waits longer)."""
    channels = {
        pid
        for name, pid in _rabbitmqctl(
            "list_consumers", "-p", _vhost(amqp_url), "queue_name", "channel_pid"
        )
        if name == queue
    }
    if not channels:
        return 0
    return sum(
        int(count)
        for pid, count in _rabbitmqctl("list_channels", "pid", "messages_unacknowledged")
        if pid in channels
    )


async def ready(amqp_url: str, queue: str) -> int:
    """Messages waiting in `queue`, as the queue itself says now (a passive declare)."""
    return int((await _as_declared(amqp_url, queue)).message_count or 0)


async def consumers(amqp_url: str, queue: str) -> int:
    """Consumers of `queue`, as the queue itself says now (a passive declare)."""
    return int((await _as_declared(amqp_url, queue)).consumer_count or 0)


async def _as_declared(amqp_url: str, queue: str) -> aiormq.spec.Queue.DeclareOk:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        return (await channel.declare_queue(queue, passive=True)).declaration_result
    finally:
        await connection.close()


async def drained(amqp_url: str, queue: str, within: float = 30.0) -> None:
    """Wait until the service has acknowledged every message of `queue`: none waiting
    and none delivered but unacknowledged, each read from its owner now.

    `rabbitmqctl list_queues` reads statistics that lag behind: a message confirmed in a
    quorum queue showed there as 0 for 4.6 s, so a check on it could pass before the
    service had even seen the message. Unacknowledged is read before and after the ready
    count, so a message delivered in between is seen."""
    async with asyncio.timeout(within):
        while True:
            before = await asyncio.to_thread(unacknowledged, amqp_url, queue)
            waiting = await ready(amqp_url, queue)
            after = await asyncio.to_thread(unacknowledged, amqp_url, queue)
            if before == waiting == after == 0:
                return
            await asyncio.sleep(0.1)
