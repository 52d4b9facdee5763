"""The user list's pages. What the filters and sort orders mean is the contract every
service shares (`shared.contracts.user_filters`)."""

import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Position:
    """Where a page ends: the last user's sort value and id (keyset pagination)."""

    sort_value: Any
    user_id: uuid.UUID
