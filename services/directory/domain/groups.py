"""Groups of users. A group's name is in every member's snapshot, so renaming or deleting
it changes each member (each gets a `user.updated`)."""

import uuid
from datetime import datetime
from typing import Protocol


class GroupRecord(Protocol):
    id: uuid.UUID
    name: str
    created_at: datetime
