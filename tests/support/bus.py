"""A spy on the bus: a private queue bound to every event, to see what services publish."""

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage


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
    def __init__(self, amqp_url: str) -> None:
        self._url = amqp_url
        self.seen: list[Seen] = []
        self._arrived = asyncio.Condition()

    async def start(self, exchange: str = "lms.events") -> "BusSpy":
        self._connection = await aio_pika.connect_robust(self._url)
        channel = await self._connection.channel()
        events = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
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
