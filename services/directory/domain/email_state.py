"""The envelope icons: what providers told us about mail sent to the user's address.

Notices arrive late and out of order, so every rule compares when things *happened*:

- A bounce marks the address, unless a delivery we know of happened after it. A soft
  bounce never replaces a hard bounce or a complaint; an older bounce never replaces a
  newer one.
- A delivery clears a bounce (soft or hard) that happened before it, never one that
  happened after it.
- A complaint is a person saying "stop": no delivery clears it. It goes with the address
  (the admin changes it), or when an administrator lifts the address's suppression.
- An administrator lifting the suppression clears any mark set before the lift.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from shared.contracts.users import BounceKind, EmailState


@dataclass(frozen=True)
class EmailStatus:
    state: EmailState = EmailState.OK
    bounce_kind: BounceKind | None = None
    reason: str | None = None
    changed_at: datetime | None = None
    delivered_at: datetime | None = None

    @property
    def complained(self) -> bool:
        return self.state is EmailState.COMPLAINED

    @property
    def hard_bounced(self) -> bool:
        return self.state is EmailState.BOUNCED and self.bounce_kind is BounceKind.HARD

    def delivered_after(self, at: datetime) -> bool:
        return self.delivered_at is not None and self.delivered_at > at


def after_bounce(status: EmailStatus, kind: BounceKind, reason: str, at: datetime) -> EmailStatus:
    if status.complained or status.delivered_after(at):
        return status
    if status.hard_bounced and kind is not BounceKind.HARD:
        return status
    if status.changed_at and status.changed_at > at and status.state is EmailState.BOUNCED:
        return status  # a newer bounce already tells the story
    return replace(status, state=EmailState.BOUNCED, bounce_kind=kind, reason=reason, changed_at=at)


def after_complaint(status: EmailStatus, reason: str | None, at: datetime) -> EmailStatus:
    if status.complained and status.changed_at and status.changed_at <= at:
        return status  # the first complaint is the one to show
    return replace(
        status,
        state=EmailState.COMPLAINED,
        bounce_kind=None,
        reason=reason or "The recipient reported the message as spam.",
        changed_at=at,
    )


def after_delivery(status: EmailStatus, at: datetime) -> EmailStatus:
    delivered = replace(status, delivered_at=max(filter(None, (status.delivered_at, at))))
    if status.state is not EmailState.BOUNCED:
        return delivered  # nothing to clear, or a complaint: it stays
    if status.changed_at is None or at > status.changed_at:
        return _cleared(delivered, at)
    return delivered


def after_suppression_lifted(status: EmailStatus, at: datetime, *, by_admin: bool) -> EmailStatus:
    """An administrator lifting the address's suppression clears the mark set before;
    a lift by a delivery changes nothing here (the delivery itself does)."""
    if not by_admin or status.state is EmailState.OK:
        return status
    if status.changed_at is not None and status.changed_at > at:
        return status
    return _cleared(status, at)


def _cleared(status: EmailStatus, at: datetime) -> EmailStatus:
    return replace(status, state=EmailState.OK, bounce_kind=None, reason=None, changed_at=at)


def after_address_change() -> EmailStatus:
    return EmailStatus()


class Envelope(StrEnum):
    """The envelope icon of the list: mail to the user's address went wrong (orange), or
    their invitation went out (blue)."""

    BLUE = "blue"
    ORANGE = "orange"


def envelope(state: EmailState, invitation_first_sent_at: datetime | None) -> Envelope | None:
    if state is not EmailState.OK:
        return Envelope.ORANGE
    return Envelope.BLUE if invitation_first_sent_at is not None else None
