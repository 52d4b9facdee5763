"""Rules about users: who may be deactivated, demoted, re-invited."""

import uuid
from dataclasses import dataclass

from shared.contracts.users import UserStatus
from shared.errors import RuleViolation


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
