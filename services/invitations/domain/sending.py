"""Just before an e-mail leaves: send it, or not, and why."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.invitations.domain.addresses import address_problem, normalize_email
from services.invitations.domain.emails import Email, MailKind
from services.invitations.domain.links import RevokeReason
from services.invitations.domain.suppression import failure_reason

# A reminder whose link dies sooner than this would only frustrate: don't send it.
REMINDER_MIN_REMAINING = timedelta(minutes=30)


class Action(StrEnum):
    SEND = "send"
    CANCEL = "cancel"  # nothing to say: superseded, accepted, reminder no longer useful
    FAIL = "fail"  # the admin must act: invitation.failed
    REVOKE = "revoke"  # the user changed meanwhile: invitation.revoked


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str = ""
    suppressed: bool = False


SEND = Decision(Action.SEND)


def decide(email: Email, now: datetime, *, reminders_on: bool) -> Decision:
    if not email.invitation_open:
        return Decision(Action.CANCEL, "the invitation is no longer open")
    if stale := _stale_request(email):
        return Decision(Action.REVOKE, stale)
    if problem := address_problem(email.address):
        return _fail_or_cancel(email, f"Not sent: the address is not valid ({problem}).")
    if (suppressed := email.suppressed) is not None:
        reason = failure_reason(
            email.address, suppressed.cause, suppressed.detail, suppressed.since
        )
        return _fail_or_cancel(email, reason, suppressed=True)
    if email.kind is MailKind.REMINDER:
        return _reminder_decision(email, now, reminders_on)
    return SEND


def _stale_request(email: Email) -> RevokeReason | None:
    """A newer snapshot says the request no longer applies."""
    user = email.latest_user
    if user is None or user.updated_at <= email.requested_at:
        return None
    if user.deactivated:
        return RevokeReason.DEACTIVATED
    if normalize_email(user.email) != normalize_email(email.address):
        return RevokeReason.ADDRESS_CHANGED
    return None


def _fail_or_cancel(email: Email, reason: str, *, suppressed: bool = False) -> Decision:
    # A reminder that can't go out is not the admin's concern: the invitation was sent.
    action = Action.FAIL if email.kind is MailKind.INVITATION else Action.CANCEL
    return Decision(action, reason, suppressed)


def _reminder_decision(email: Email, now: datetime, reminders_on: bool) -> Decision:
    if not reminders_on:
        return Decision(Action.CANCEL, "reminders are turned off")
    expires_at = email.invitation_expires_at
    if expires_at is None or expires_at - now < REMINDER_MIN_REMAINING:
        return Decision(Action.CANCEL, "the link expires too soon for a reminder")
    return SEND
