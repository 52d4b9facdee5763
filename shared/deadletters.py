"""`python -m shared.deadletters`: see, inspect and requeue parked messages.

Every consumer queue `<q>` parks what it can't process in `<q>.dead-letter`, with the
reason in the headers (`x-error`, `x-error-type`, `x-failed-at`, `x-attempts`,
`x-original-routing-key`). After the cause is fixed, `requeue` sends parked messages back
to the queue that parked them (and only to it: the other services already handled them);
the consumer's inbox makes a message that had in fact been applied change nothing.

    python -m shared.deadletters list
    python -m shared.deadletters show directory.invitations --limit 5
    python -m shared.deadletters requeue directory.invitations [--id MESSAGE_ID]

AMQP_URL (or --amqp-url) says which broker and virtual host.
"""

import asyncio
import json
import shutil
import subprocess
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import aio_pika
import typer
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from shared.messaging.topology import DEAD_LETTER_SUFFIX

cli = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
AmqpUrl = Annotated[
    str, typer.Option(envvar="AMQP_URL", help="RabbitMQ, including the virtual host.")
]
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
REASON_HEADERS = ("x-error-type", "x-error", "x-failed-at", "x-attempts", "x-original-routing-key")


@dataclass(frozen=True)
class Parked:
    message_id: str | None
    routing_key: str
    headers: dict[str, Any]
    body: bytes

    def summary(self) -> dict[str, Any]:
        reason = {k: _text(self.headers.get(k)) for k in REASON_HEADERS if k in self.headers}
        try:
            body: Any = json.loads(self.body)
        except ValueError:
            body = self.body.decode("utf-8", "replace")
        return {"message_id": self.message_id, **reason, "body": body}


@cli.command("list")
def list_queues(amqp_url: AmqpUrl = DEFAULT_AMQP) -> None:
    """Every dead-letter queue of the virtual host and how many messages it holds."""
    rows = _dead_letter_depths(amqp_url)
    if not rows:
        typer.echo("no dead-letter queues (or rabbitmqctl is not available here)")
    for name, count in rows:
        typer.echo(f"{count:>8}  {name}")


@cli.command()
def show(
    queue: Annotated[str, typer.Argument(help="The consumer queue, e.g. directory.invitations")],
    limit: Annotated[int, typer.Option(min=1)] = 10,
    amqp_url: AmqpUrl = DEFAULT_AMQP,
) -> None:
    """Print parked messages with their reason (they stay parked)."""
    for parked in asyncio.run(peek(amqp_url, queue, limit)):
        typer.echo(json.dumps(parked.summary(), indent=2, ensure_ascii=False, default=str))


@cli.command()
def requeue(
    queue: Annotated[str, typer.Argument(help="The consumer queue, e.g. directory.invitations")],
    message_id: Annotated[str | None, typer.Option("--id", help="Only this message.")] = None,
    amqp_url: AmqpUrl = DEFAULT_AMQP,
) -> None:
    """Send parked messages back to the queue that parked them."""
    moved = asyncio.run(move_back(amqp_url, queue, message_id))
    typer.echo(f"requeued {moved} message(s) to {queue}")


@asynccontextmanager
async def _channel(amqp_url: str) -> AsyncIterator[AbstractChannel]:
    connection = await aio_pika.connect(amqp_url)
    try:
        yield await connection.channel(publisher_confirms=True)
    finally:
        await connection.close()


async def peek(amqp_url: str, queue: str, limit: int) -> list[Parked]:
    """Read up to `limit` parked messages without removing them."""
    async with _channel(amqp_url) as channel:
        parked_queue = await channel.get_queue(queue + DEAD_LETTER_SUFFIX)
        held: list[AbstractIncomingMessage] = []
        while len(held) < limit and (message := await parked_queue.get(fail=False)):
            held.append(message)
        found = [_parked(message) for message in held]
        for message in held:
            await message.nack(requeue=True)
        return found


async def move_back(amqp_url: str, queue: str, message_id: str | None) -> int:
    """Republish parked messages (persistent, confirmed) straight to `queue`, then remove
    them from the dead-letter queue. Returns how many moved."""
    async with _channel(amqp_url) as channel:
        parked_queue = await channel.get_queue(queue + DEAD_LETTER_SUFFIX)
        skipped: list[AbstractIncomingMessage] = []
        moved = 0
        while message := await parked_queue.get(fail=False):
            if message_id is not None and message.message_id != message_id:
                skipped.append(message)
                continue
            await channel.default_exchange.publish(_fresh_copy(message), routing_key=queue)
            await message.ack()
            moved += 1
        for message in skipped:
            await message.nack(requeue=True)
        return moved


def _fresh_copy(message: AbstractIncomingMessage) -> aio_pika.Message:
    headers = {
        k: v
        for k, v in (message.headers or {}).items()
        if k not in REASON_HEADERS and not k.startswith("x-death") and k != "x-delivery-count"
    }
    return aio_pika.Message(
        message.body,
        headers=headers,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


def _parked(message: AbstractIncomingMessage) -> Parked:
    return Parked(
        message.message_id, message.routing_key or "", dict(message.headers or {}), message.body
    )


def _text(value: Any) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _dead_letter_depths(amqp_url: str) -> list[tuple[str, int]]:
    """AMQP can't list queues: ask rabbitmqctl, where this runs beside the broker."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        return []
    vhost = urllib.parse.unquote(urllib.parse.urlsplit(amqp_url).path[1:]) or "/"
    command = [rabbitmqctl, "list_queues", "-p", vhost, "-q", "--no-table-headers", "name"]
    listing = subprocess.run(  # noqa: S603 (a fixed program; the vhost is an argument)
        [*command, "messages"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    rows = [line.split("\t") for line in listing.splitlines() if "\t" in line]
    return sorted((n, int(c)) for n, c in rows if n.endswith(DEAD_LETTER_SUFFIX))


if __name__ == "__main__":
    cli()
