"""Commands over the bus, request/reply: one service asks another to do something now and
waits for the answer (RabbitMQ's direct reply-to).

The answering side always replies, with a result or with the domain error that refused
the command (`CommandFailure`): the asking side raises that same error, so its HTTP API
answers as the other service's would. A broker that is away, a service that is not
consuming, or an answer that comes too late are `Unavailable` (503), never a crash.
"""

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage
from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.rabbit import QueueType, RabbitBroker, RabbitQueue
from pydantic import BaseModel, ValidationError

from shared import errors
from shared.contracts.commands import CommandFailure, CommandRoute
from shared.logging import get_logger
from shared.messaging.topology import BROKER_DELIVERY_LIMIT

log = get_logger(__name__)

CommandT = TypeVar("CommandT", bound=BaseModel)
ReplyT = TypeVar("ReplyT", bound=BaseModel)

# The kinds a reply may name; anything else is read as Unavailable.
_KINDS: dict[str, type[errors.DomainError]] = {
    kind.__name__: kind
    for kind in (
        errors.Malformed,
        errors.Invalid,
        errors.Unauthenticated,
        errors.Forbidden,
        errors.NotFound,
        errors.Conflict,
        errors.RuleViolation,
        errors.ChangedMeanwhile,
        errors.Unavailable,
    )
}
NOT_ANSWERING = "{answerer} did not answer in time; try again in a moment."
# RabbitMQ's pseudo-queue for replies: a reply published to it reaches the channel that
# consumes it (no-ack) and sent the request.
DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"
UNREACHABLE = "The message broker can't be reached right now; try again in a moment."


def command_queue(name: str) -> RabbitQueue:
    """A command's queue: durable and replicated like every queue here, but without a
    dead-letter queue: a command nobody took before it expired is dropped, as its caller
    was already told the service did not answer (it may retry, with the same request id)."""
    return RabbitQueue(
        name,
        queue_type=QueueType.QUORUM,
        durable=True,
        arguments={"x-delivery-limit": BROKER_DELIVERY_LIMIT},
    )


def failure_of(error: Exception) -> CommandFailure:
    if isinstance(error, errors.DomainError) and type(error).__name__ in _KINDS:
        return CommandFailure(kind=type(error).__name__, detail=error.detail, errors=error.errors)
    log.error("command failed", error=repr(error), exc_info=error)
    return CommandFailure(kind="Unavailable", detail="The command could not be carried out now.")


def raise_failure(failure: CommandFailure) -> None:
    kind = _KINDS.get(failure.kind, errors.Unavailable)
    raise kind(failure.detail, errors=failure.errors)


def answer_commands(
    broker: RabbitBroker,
    route: CommandRoute[CommandT, ReplyT],
    handle: Callable[[CommandT], Awaitable[ReplyT]],
) -> None:
    """Subscribe `handle` to the commands of `route`: every command gets a reply, the
    result or why not (`route.reply(failure=...)`)."""

    async def respond(body: bytes) -> bytes:
        try:
            command = route.command.model_validate_json(body)
        except ValidationError as error:
            failure = CommandFailure(kind="Malformed", detail=f"not a valid command: {error}")
            return route.reply(failure=failure).model_dump_json().encode()
        try:
            reply = await handle(command)
        except Exception as error:
            reply = route.reply(failure=failure_of(error))
        return reply.model_dump_json().encode()

    broker.subscriber(
        command_queue(route.queue),
        ack_policy=AckPolicy.ACK,
        decoder=_body_as_is,
        title=route.queue,
        description=f"Answers {route.command.__name__} with {route.reply.__name__}.",
    )(respond)


class CommandClient:
    """Asks other services' commands and waits for their answers, any number at a time: one
    channel consumes the direct reply-to, each answer matched to its request by correlation
    id. (FastStream's `broker.request` holds a lock over each round trip: its requests
    waited for each other, 20-25 integration invitations a second whatever the callers.)

    Connected by the first command, and again by the first after the connection was lost
    (whose commands in flight are `Unavailable` at once). Stopped with the service as one
    of its workers."""

    def __init__(self, amqp_url: str) -> None:
        self._url = amqp_url
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._connecting = asyncio.Lock()
        # What each command in flight waits for, and the connection it was sent on.
        self._waiting: dict[str, tuple[object, asyncio.Future[AbstractIncomingMessage]]] = {}

    def start(self) -> None:
        """Nothing to start: the first command connects."""

    async def stop(self, grace_seconds: float) -> None:
        await self._disconnect()

    async def ask(
        self,
        route: CommandRoute[Any, ReplyT],
        command: BaseModel,
        timeout_seconds: float,
        *,
        answerer: str,
    ) -> ReplyT:
        """Send `command` on `route` and wait for its reply; the failure it reports is
        raised here. `answerer` names the service that answers, for the caller: "The
        directory"."""
        queue = route.queue
        correlation_id = str(uuid.uuid4())
        answered = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(timeout_seconds):
                connection, channel = await self._ready_channel(timeout_seconds)
                self._waiting[correlation_id] = (connection, answered)
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        command.model_dump_json().encode(),
                        content_type="application/json",
                        correlation_id=correlation_id,
                        reply_to=DIRECT_REPLY_TO,
                        expiration=timeout_seconds,  # nobody took it: never carried out later
                    ),
                    routing_key=queue,
                )
                answer = await answered
        except TimeoutError:
            raise errors.Unavailable(NOT_ANSWERING.format(answerer=answerer)) from None
        except Exception as error:
            log.warning("command not sent or not answered", queue=queue, error=repr(error))
            raise errors.Unavailable(UNREACHABLE) from None
        finally:
            self._waiting.pop(correlation_id, None)
            if answered.done() and not answered.cancelled():
                answered.exception()  # retrieved: asyncio would log a loss told above
        return _reply(answer.body, route.reply, queue, answerer)

    async def _ready_channel(
        self, timeout_seconds: float
    ) -> tuple[AbstractConnection, AbstractChannel]:
        async with self._connecting:
            if self._connection is None or self._channel is None or self._channel.is_closed:
                await self._disconnect()
                connection = await aio_pika.connect(self._url, timeout=timeout_seconds)
                try:
                    channel = await connection.channel(publisher_confirms=False)
                    replies = await channel.get_queue(DIRECT_REPLY_TO, ensure=False)
                    await replies.consume(self._on_reply, no_ack=True)
                except BaseException:
                    await connection.close()
                    raise
                connection.close_callbacks.add(self._lost)
                self._connection, self._channel = connection, channel
            return self._connection, self._channel

    async def _disconnect(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and not connection.is_closed:
            with contextlib.suppress(Exception):
                await connection.close()

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        _, waiting = self._waiting.pop(message.correlation_id or "", (None, None))
        if waiting is not None and not waiting.done():  # else too late: its caller gave up
            waiting.set_result(message)

    def _lost(self, connection: object, *_: object) -> None:
        """The replies of the commands sent on `connection` went with it."""
        lost = ConnectionError("the broker connection was lost before the answer")
        for sent_on, waiting in self._waiting.values():
            if sent_on is connection and not waiting.done():
                waiting.set_exception(lost)


def _reply(body: bytes, reply_type: type[ReplyT], queue: str, answerer: str) -> ReplyT:
    try:
        reply = reply_type.model_validate_json(body)
    except ValidationError as error:
        log.error("command reply breaks its contract", queue=queue, error=str(error))
        raise errors.Unavailable(f"{answerer} answered in a way not understood.") from None
    failure: Any = getattr(reply, "failure", None)
    if failure is not None:
        raise_failure(failure)
    return reply


async def _body_as_is(message: StreamMessage[Any]) -> bytes:
    return bytes(message.body)
