"""Rules about users: who may be deactivated, demoted, re-invited; how a change to a user
is announced; what of a user the directory reads."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from shared.contracts.users import (
    USER_ACTIVATED,
    USER_CREATED,
    USER_DEACTIVATED,
    USER_LOGGED_IN,
    USER_REACTIVATED,
    USER_UPDATED,
    BounceKind,
    EmailState,
    InvitationState,
    UserStatus,
)
from shared.errors import RuleViolation


class UserChange(StrEnum):
    """How a user changed; each change is announced by the `user.*` event of that name,
    carrying the user's new snapshot."""

    CREATED = USER_CREATED
    UPDATED = USER_UPDATED
    ACTIVATED = USER_ACTIVATED
    DEACTIVATED = USER_DEACTIVATED
    REACTIVATED = USER_REACTIVATED
    LOGGED_IN = USER_LOGGED_IN


def announced_change(first: UserChange, then: UserChange) -> UserChange:
    """One event per user per transaction: a change of status (created, activated...) says
    more than a plain update, so it is the one announced."""
    return then if first is UserChange.UPDATED else first


class LoginState(StrEnum):
    """Whether the user ever logged in (a column of its own: the list filters on it)."""

    NEVER = "never"
    LOGGED_IN = "logged_in"


class SummaryRecord(Protocol):
    """What the list shows of a user (a listed row or a stored user)."""

    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    phone: str | None
    locale: str
    role: str
    status: UserStatus
    custom_fields: dict[str, Any]  # by the field's id
    invitation_state: InvitationState
    invitation_requested_at: datetime | None
    invitation_first_sent_at: datetime | None
    invitation_last_sent_at: datetime | None
    invitation_expires_at: datetime | None
    invitation_send_count: int
    invitation_resend_count: int
    invitation_accepted_at: datetime | None
    invitation_failure_reason: str | None
    email_state: EmailState
    email_bounce_kind: BounceKind | None
    email_state_reason: str | None
    email_state_changed_at: datetime | None
    email_delivered_at: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class UserRecord(SummaryRecord, Protocol):
    """A user as the directory stores it, read-only (the ORM's `User` is one)."""

    tenant_id: uuid.UUID
    activated_at: datetime | None
    deactivated_at: datetime | None
    deactivated_by: uuid.UUID | None
    deactivation_reason: str | None


def shows_deactivation(user: UserRecord) -> bool:
    """When, by whom and why a user was deactivated is shown while they are."""
    return user.status is UserStatus.DEACTIVATED and user.deactivated_at is not None


def normalize_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class AdminChange:
    """What the last-admin rules need to know about a change to an admin's standing."""

    actor_id: uuid.UUID
    target_id: uuid.UUID
    target_is_active_admin: bool
    other_active_admins: int


def ensure_can_change_role(change: AdminChange, *, new_role_is_admin: bool) -> None:
    if new_role_is_admin or not change.target_is_active_admin:
        return
    if change.actor_id == change.target_id:
        raise RuleViolation("You cannot remove your own administrator role.")
    if change.other_active_admins == 0:
        raise RuleViolation("The last active administrator cannot be demoted.")


def ensure_can_deactivate(change: AdminChange, status: UserStatus) -> None:
    if change.actor_id == change.target_id:
        raise RuleViolation("You cannot deactivate yourself.")
    if status is UserStatus.DEACTIVATED:
        raise RuleViolation("This user is already deactivated.")
    if change.target_is_active_admin and change.other_active_admins == 0:
        raise RuleViolation("The last active administrator cannot be deactivated.")


def ensure_can_reactivate(status: UserStatus) -> None:
    if status is not UserStatus.DEACTIVATED:
        raise RuleViolation("Only a deactivated user can be reactivated.")


def ensure_can_resend_invitation(status: UserStatus) -> None:
    if status is not UserStatus.INVITED:
        raise RuleViolation("Only a user who has not accepted their invitation can be re-invited.")


def status_after_reactivation(has_password: bool) -> UserStatus:
    """A reactivated user returns to where they were: active if they had accepted."""
    return UserStatus.ACTIVE if has_password else UserStatus.INVITED


def can_log_in(status: UserStatus, has_password: bool) -> bool:
    return status is UserStatus.ACTIVE and has_password
