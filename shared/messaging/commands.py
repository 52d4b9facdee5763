"""Commands over the bus, request/reply: one service asks another to do something now and
waits for the answer (RabbitMQ's direct reply-to, through FastStream's `broker.request`).

The answering side always replies, with a result or with the domain error that refused
the command (`CommandFailure`): the asking side raises that same error, so its HTTP API
answers as the other service's would. A broker that is away, a service that is not
consuming, or an answer that comes too late are `Unavailable` (503), never a crash.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.rabbit import QueueType, RabbitBroker, RabbitQueue
from pydantic import BaseModel, ValidationError

from shared import errors
from shared.contracts.commands import CommandFailure
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
    queue: str,
    command_type: type[CommandT],
    reply_type: type[ReplyT],
    handle: Callable[[CommandT], Awaitable[ReplyT]],
) -> None:
    """Subscribe `handle` to the commands of `queue`: every command gets a reply, the
    result or why not (`reply_type(failure=...)`)."""

    async def respond(body: bytes) -> bytes:
        try:
            command = command_type.model_validate_json(body)
        except ValidationError as error:
            failure = CommandFailure(kind="Malformed", detail=f"not a valid command: {error}")
            return reply_type(failure=failure).model_dump_json().encode()
        try:
            reply = await handle(command)
        except Exception as error:
            reply = reply_type(failure=failure_of(error))
        return reply.model_dump_json().encode()

    broker.subscriber(
        command_queue(queue),
        ack_policy=AckPolicy.ACK,
        decoder=_body_as_is,
        title=queue,
        description=f"Answers {command_type.__name__} with {reply_type.__name__}.",
    )(respond)


async def ask(
    broker: RabbitBroker,
    queue: str,
    command: BaseModel,
    reply_type: type[ReplyT],
    timeout_seconds: float,
    *,
    answerer: str,
) -> ReplyT:
    """Send `command` and wait for its reply; the failure it reports is raised here.
    `answerer` names the service that answers, for the caller: "The directory"."""
    correlation_id = str(uuid.uuid4())
    try:
        # The whole wait is bounded, not only the reply's: FastStream sends one request at a
        # time per connection, and a request waiting for its turn would otherwise wait for
        # every one before it to time out.
        async with asyncio.timeout(timeout_seconds):
            answer = await broker.request(
                command.model_dump_json().encode(),
                queue,
                timeout=timeout_seconds,
                expiration=timeout_seconds,
                correlation_id=correlation_id,
                content_type="application/json",
            )
    except TimeoutError:
        raise errors.Unavailable(NOT_ANSWERING.format(answerer=answerer)) from None
    except Exception as error:
        log.warning("command not sent", queue=queue, error=repr(error))
        raise errors.Unavailable(UNREACHABLE) from None
    if answer.correlation_id != correlation_id:  # a late answer to an earlier request
        raise errors.Unavailable(NOT_ANSWERING.format(answerer=answerer))
    try:
        reply = reply_type.model_validate_json(answer.body)
    except ValidationError as error:
        log.error("command reply breaks its contract", queue=queue, error=str(error))
        raise errors.Unavailable(f"{answerer} answered in a way not understood.") from None
    failure: Any = getattr(reply, "failure", None)
    if failure is not None:
        raise_failure(failure)
    return reply


async def _body_as_is(message: StreamMessage[Any]) -> bytes:
    return bytes(message.body)
