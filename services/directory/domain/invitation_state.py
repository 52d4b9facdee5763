"""The invitation's state as the directory shows it, apart from the account status."""

from datetime import datetime, timedelta
from typing import Literal

from shared.contracts.users import InvitationState

EXPIRED: Literal["expired"] = "expired"

# States that an older piece of news must not overwrite.
_FINAL = {InvitationState.ACCEPTED}


def after_request(current: InvitationState) -> InvitationState:
    return current if current in _FINAL else InvitationState.PENDING


def after_sent(current: InvitationState) -> InvitationState:
    return current if current in _FINAL else InvitationState.SENT


def after_failure(current: InvitationState) -> InvitationState:
    return current if current in _FINAL else InvitationState.FAILED


def after_delivery(current: InvitationState) -> InvitationState:
    return InvitationState.DELIVERED if current is InvitationState.SENT else current


def after_bounce(current: InvitationState) -> InvitationState:
    if current in (InvitationState.SENT, InvitationState.DELIVERED, InvitationState.PENDING):
        return InvitationState.BOUNCED
    return current


def is_expired(state: InvitationState, expires_at: datetime | None, now: datetime) -> bool:
    """An invitation link nobody used in time: shown (and filtered) as expired."""
    waiting = state in (InvitationState.SENT, InvitationState.DELIVERED)
    return waiting and expires_at is not None and expires_at <= now


def displayed(
    state: InvitationState, expires_at: datetime | None, now: datetime
) -> InvitationState | Literal["expired"]:
    """The state as the list shows (and filters) it: an expired link is "expired"."""
    return EXPIRED if is_expired(state, expires_at, now) else state


def after_revocation(current: InvitationState) -> InvitationState:
    return current if current in _FINAL else InvitationState.REVOKED


def resend_wait(
    last_requested_at: datetime | None, now: datetime, interval: timedelta
) -> timedelta:
    """How long before the admin may send this user's invitation again (zero: now)."""
    if last_requested_at is None:
        return timedelta(0)
    return max(timedelta(0), last_requested_at + interval - now)
