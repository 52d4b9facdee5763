"""`user.*` events: each carries the whole user snapshot, so a consumer keeps a copy by
upserting when the snapshot's version is newer than the one it has."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from shared.contracts.envelope import Contract

Locale = Literal["fr", "en"]

USER_CREATED = "user.created"
USER_UPDATED = "user.updated"
USER_ACTIVATED = "user.activated"
USER_DEACTIVATED = "user.deactivated"
USER_REACTIVATED = "user.reactivated"
USER_LOGGED_IN = "user.logged_in"
# The current snapshot sent again (`python -m services.directory republish`), nothing changed:
# projections rebuild from it; services that react to changes are not bound to it.
USER_REPUBLISHED = "user.republished"


class UserStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class InvitationState(StrEnum):
    """Where the user's latest invitation stands (apart from the account status)."""

    NONE = "none"
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    FAILED = "failed"
    ACCEPTED = "accepted"
    REVOKED = "revoked"


class EmailState(StrEnum):
    OK = "ok"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class BounceKind(StrEnum):
    HARD = "hard"
    SOFT = "soft"
    UNDETERMINED = "undetermined"


class GroupRef(Contract):
    id: uuid.UUID
    name: str


class CustomFieldValue(Contract):
    key: str
    label: str
    type: str
    value: Any
    position: int = 0  # the field's place in the tenant's order (then its key)


class InvitationSummary(Contract):
    state: InvitationState
    requested_at: datetime | None = None
    first_sent_at: datetime | None = None
    last_sent_at: datetime | None = None
    expires_at: datetime | None = None
    send_count: int = 0
    resend_count: int = 0
    accepted_at: datetime | None = None
    failure_reason: str | None = None


class EmailSummary(Contract):
    """What the envelope icons show: delivered (blue) or bounced/complained (orange)."""

    state: EmailState = EmailState.OK
    delivered_at: datetime | None = None
    bounce_kind: BounceKind | None = None
    reason: str | None = None
    changed_at: datetime | None = None


class Deactivation(Contract):
    at: datetime
    by: uuid.UUID | None
    reason: str | None


class UserSnapshot(Contract):
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    phone: str | None
    locale: Locale
    role: str
    status: UserStatus
    groups: list[GroupRef]
    custom_fields: list[CustomFieldValue]
    invitation: InvitationSummary
    email_status: EmailSummary
    deactivation: Deactivation | None
    activated_at: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
