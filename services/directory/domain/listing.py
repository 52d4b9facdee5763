"""The user list's pages. What the filters and sort orders mean is the contract every
service shares (`shared.contracts.user_filters`)."""

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from services.directory.domain.users import SummaryRecord


@dataclass(frozen=True)
class Position:
    """Where a page ends: the last user's sort value and id (keyset pagination)."""

    sort_value: Any
    user_id: uuid.UUID


class ListedUser(SummaryRecord, Protocol):
    """A user as a page of the list holds it: what the list shows, and the user's groups
    by name, as shown (`{"id", "name"}`; None for no group)."""

    groups: list[dict[str, str]] | None
