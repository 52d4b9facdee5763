"""Bulk actions: which users a rule refuses and why, with the single-user routes' own rules
(`domain.users`), plus what only a bulk re-invitation checks (a suppressed address, an
invitation sent moments ago). The preview counts refusals from the same function."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.directory.domain import invitation_state
from services.directory.domain.users import (
    AdminChange,
    ensure_can_change_role,
    ensure_can_deactivate,
    ensure_can_reactivate,
    ensure_can_resend_invitation,
)
from shared.contracts.users import BounceKind, EmailState, UserStatus
from shared.errors import RuleViolation


class BulkAction(StrEnum):
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    RESEND_INVITATION = "resend_invitation"
    ADD_TO_GROUP = "add_to_group"
    REMOVE_FROM_GROUP = "remove_from_group"
    SET_CUSTOM_FIELD = "set_custom_field"
    CHANGE_ROLE = "change_role"


# Actions that can take away an administrator's standing (the last-admin rule).
TOUCHES_ADMINS = (BulkAction.DEACTIVATE, BulkAction.CHANGE_ROLE)


class Refusal(StrEnum):
    SELF = "self"
    LAST_ADMIN = "last_admin"
    ALREADY_DEACTIVATED = "already_deactivated"
    NOT_DEACTIVATED = "not_deactivated"
    NOT_INVITED = "not_invited"
    SUPPRESSED = "suppressed_address"
    INVITED_RECENTLY = "invited_recently"


REFUSAL_MESSAGES = {
    Refusal.SUPPRESSED: "This address bounced or complained; mail to it is suppressed.",
    Refusal.INVITED_RECENTLY: "An invitation was just sent to this user.",
}


@dataclass(frozen=True)
class Target:
    """What the rules need to know of one user."""

    id: uuid.UUID
    status: UserStatus
    role_is_admin: bool
    address_suppressed: bool
    invitation_requested_at: datetime | None

    @property
    def is_active_admin(self) -> bool:
        return self.role_is_admin and self.status is UserStatus.ACTIVE


@dataclass(frozen=True)
class BulkRules:
    action: BulkAction
    actor_id: uuid.UUID
    now: datetime
    resend_interval: timedelta
    new_role_is_admin: bool = False


@dataclass(frozen=True)
class Refused:
    code: Refusal
    message: str


def refusal(rules: BulkRules, target: Target, other_active_admins: int) -> Refused | None:
    """Why the action is refused for this user (None: it may be done)."""
    change = AdminChange(rules.actor_id, target.id, target.is_active_admin, other_active_admins)
    try:
        _single_user_rule(rules, target, change)
    except RuleViolation as violation:
        return Refused(_code(rules.action, target, change), violation.detail)
    if rules.action is BulkAction.RESEND_INVITATION:
        return _resend_refusal(rules, target)
    return None


def _single_user_rule(rules: BulkRules, target: Target, change: AdminChange) -> None:
    if rules.action is BulkAction.DEACTIVATE:
        ensure_can_deactivate(change, target.status)
    elif rules.action is BulkAction.REACTIVATE:
        ensure_can_reactivate(target.status)
    elif rules.action is BulkAction.RESEND_INVITATION:
        ensure_can_resend_invitation(target.status)
    elif rules.action is BulkAction.CHANGE_ROLE:
        ensure_can_change_role(change, new_role_is_admin=rules.new_role_is_admin)


def _code(action: BulkAction, target: Target, change: AdminChange) -> Refusal:
    if action is BulkAction.REACTIVATE:
        return Refusal.NOT_DEACTIVATED
    if action is BulkAction.RESEND_INVITATION:
        return Refusal.NOT_INVITED
    if change.actor_id == change.target_id:
        return Refusal.SELF
    if action is BulkAction.DEACTIVATE and target.status is UserStatus.DEACTIVATED:
        return Refusal.ALREADY_DEACTIVATED
    return Refusal.LAST_ADMIN


def _resend_refusal(rules: BulkRules, target: Target) -> Refused | None:
    if target.address_suppressed:
        return Refused(Refusal.SUPPRESSED, REFUSAL_MESSAGES[Refusal.SUPPRESSED])
    wait = invitation_state.resend_wait(
        target.invitation_requested_at, rules.now, rules.resend_interval
    )
    if wait:
        return Refused(Refusal.INVITED_RECENTLY, REFUSAL_MESSAGES[Refusal.INVITED_RECENTLY])
    return None


def counts_admins(targets: Sequence[Target]) -> bool:
    """Whether judging these users needs the tenant's count of active administrators: only
    an active administrator's deactivation or demotion asks how many others are left."""
    return any(target.is_active_admin for target in targets)


def judge_batch(
    rules: BulkRules, targets: Sequence[Target], active_admins: int
) -> list[Refused | None]:
    """`refusal` for each of a batch's users, in order, as if each were done before the
    next is judged: the last-admin rule counts the administrators the earlier ones of the
    batch took away (`active_admins`: the tenant's active administrators before it)."""
    verdicts: list[Refused | None] = []
    for target in targets:
        others = active_admins - (1 if target.is_active_admin else 0)
        refused = refusal(rules, target, others)
        if refused is None and takes_admin_standing(rules, target):
            active_admins -= 1
        verdicts.append(refused)
    return verdicts


def takes_admin_standing(rules: BulkRules, target: Target) -> bool:
    """Whether doing the action leaves the tenant one active administrator fewer."""
    if not target.is_active_admin:
        return False
    return rules.action is BulkAction.DEACTIVATE or (
        rules.action is BulkAction.CHANGE_ROLE and not rules.new_role_is_admin
    )


def admins_refused(admins_targeted: int, active_admins: int) -> int:
    """How many of the active administrators a deactivation or demotion targets (not the
    actor) the last-admin rule keeps: all of them may go but one."""
    return max(0, admins_targeted - max(0, active_admins - 1))


def is_suppressed(state: EmailState, bounce_kind: BounceKind | None) -> bool:
    """What the invitations service will not mail: a complaint, a hard bounce."""
    return state is EmailState.COMPLAINED or (
        state is EmailState.BOUNCED and bounce_kind is BounceKind.HARD
    )
