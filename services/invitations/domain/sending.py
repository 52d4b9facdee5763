"""Just before an e-mail leaves: send it, or not, and why."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.invitations.domain.addresses import address_problem, normalize_email
from services.invitations.domain.suppression import SuppressionCause, failure_reason

# A reminder whose link dies sooner than this would only frustrate: don't send it.
REMINDER_MIN_REMAINING = timedelta(minutes=30)


class MailKind(StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"


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


@dataclass(frozen=True)
class Suppression:
    cause: SuppressionCause
    detail: str
    since: datetime


@dataclass(frozen=True)
class KnownUser:
    """The latest user snapshot this service saw."""

    email: str
    deactivated: bool
    updated_at: datetime


@dataclass(frozen=True)
class Outgoing:
    kind: MailKind
    email: str
    requested_at: datetime
    invitation_open: bool
    link_expires_at: datetime | None  # reminders: the link they remind of


SEND = Decision(Action.SEND)


def decide(
    mail: Outgoing,
    now: datetime,
    *,
    suppression: Suppression | None,
    user: KnownUser | None,
    reminders_on: bool,
) -> Decision:
    if not mail.invitation_open:
        return Decision(Action.CANCEL, "the invitation is no longer open")
    if stale := _stale_request(mail, user):
        return Decision(Action.REVOKE, stale)
    if problem := address_problem(mail.email):
        return _fail_or_cancel(mail, f"Not sent: the address is not valid ({problem}).")
    if suppression is not None:
        reason = failure_reason(
            mail.email, suppression.cause, suppression.detail, suppression.since
        )
        return _fail_or_cancel(mail, reason, suppressed=True)
    if mail.kind is MailKind.REMINDER:
        return _reminder_decision(mail, now, reminders_on)
    return SEND


def _stale_request(mail: Outgoing, user: KnownUser | None) -> str | None:
    """A newer snapshot says the request no longer applies."""
    if user is None or user.updated_at <= mail.requested_at:
        return None
    if user.deactivated:
        return "user deactivated"
    if normalize_email(user.email) != normalize_email(mail.email):
        return "e-mail address changed"
    return None


def _fail_or_cancel(mail: Outgoing, reason: str, *, suppressed: bool = False) -> Decision:
    # A reminder that can't go out is not the admin's concern: the invitation was sent.
    action = Action.FAIL if mail.kind is MailKind.INVITATION else Action.CANCEL
    return Decision(action, reason, suppressed)


def _reminder_decision(mail: Outgoing, now: datetime, reminders_on: bool) -> Decision:
    if not reminders_on:
        return Decision(Action.CANCEL, "reminders are turned off")
    if mail.link_expires_at is None or mail.link_expires_at - now < REMINDER_MIN_REMAINING:
        return Decision(Action.CANCEL, "the link expires too soon for a reminder")
    return SEND
