"""What an admin can ask of the user list: filters and sort orders."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.contracts.users import EmailState, UserStatus

MIN_SEARCH_TERM = 2


class InvitationFilter(StrEnum):
    """Invitation states an admin can filter on; `expired` is derived from the link's expiry."""

    NONE = "none"
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    FAILED = "failed"
    EXPIRED = "expired"
    ACCEPTED = "accepted"
    REVOKED = "revoked"


class UserSort(StrEnum):
    NAME = "name"
    NAME_DESC = "-name"
    EMAIL = "email"
    EMAIL_DESC = "-email"
    CREATED = "created_at"
    CREATED_DESC = "-created_at"
    LAST_LOGIN = "last_login_at"
    LAST_LOGIN_DESC = "-last_login_at"

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")


@dataclass(frozen=True)
class UserFilter:
    group_ids: tuple[uuid.UUID, ...] = ()
    roles: tuple[str, ...] = ()
    statuses: tuple[UserStatus, ...] = ()
    invitation_states: tuple[InvitationFilter, ...] = ()
    email_states: tuple[EmailState, ...] = ()
    email_contains: str | None = None
    search_terms: tuple[str, ...] = ()
    custom_fields: dict[uuid.UUID, Any] = field(default_factory=dict)
    created_from: datetime | None = None
    created_to: datetime | None = None
    last_login_from: datetime | None = None
    last_login_to: datetime | None = None
    never_logged_in: bool | None = None


def search_terms(text: str | None) -> tuple[str, ...]:
    """The words of a free-text search, lower-cased; words too short to matter are dropped."""
    words = (text or "").lower().split()
    return tuple(dict.fromkeys(w for w in words if len(w) >= MIN_SEARCH_TERM))
