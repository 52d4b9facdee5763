"""What every command's reply may carry instead of a result, and how a command is routed
(`shared.messaging.commands`)."""

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from shared.contracts.envelope import Contract


class CommandFailure(Contract):
    """Why a command was refused: `kind` names the `shared.errors` class (Invalid,
    Conflict, Forbidden…), `detail` says why in words the caller can act on."""

    kind: str
    detail: str
    errors: list[dict[str, Any]] = Field(default_factory=list)


CommandT = TypeVar("CommandT", bound=BaseModel)
ReplyT = TypeVar("ReplyT", bound=BaseModel)


@dataclass(frozen=True)
class CommandRoute(Generic[CommandT, ReplyT]):
    """A command's queue, what it carries and what it is answered with: named once, so the
    asking and the answering side cannot pair them differently."""

    queue: str
    command: type[CommandT]
    reply: type[ReplyT]
