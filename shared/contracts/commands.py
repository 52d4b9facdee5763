"""What every command's reply may carry instead of a result (`shared.messaging.commands`)."""

from typing import Any

from pydantic import Field

from shared.contracts.envelope import Contract


class CommandFailure(Contract):
    """Why a command was refused: `kind` names the `shared.errors` class (Invalid,
    Conflict, Forbidden…), `detail` says why in words the caller can act on."""

    kind: str
    detail: str
    errors: list[dict[str, Any]] = Field(default_factory=list)
