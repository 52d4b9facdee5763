"""The envelope icons: what providers told us about mail sent to the user's address.

Notices arrive late and out of order. A hard bounce or a complaint sticks until the
address changes; a soft bounce is cleared by a delivery that happened after it.
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
    def sticks(self) -> bool:
        return self.state is EmailState.COMPLAINED or self.bounce_kind is BounceKind.HARD


def after_bounce(status: EmailStatus, kind: BounceKind, reason: str, at: datetime) -> EmailStatus:
    if status.sticks and kind is not BounceKind.HARD:
        return status
    if status.changed_at and status.changed_at > at and status.state is EmailState.BOUNCED:
        return status  # a newer bounce already tells the story
    return replace(status, state=EmailState.BOUNCED, bounce_kind=kind, reason=reason, changed_at=at)


def after_complaint(status: EmailStatus, reason: str | None, at: datetime) -> EmailStatus:
    return replace(
        status,
        state=EmailState.COMPLAINED,
        bounce_kind=None,
        reason=reason or "The recipient reported the message as spam.",
        changed_at=at,
    )


def after_delivery(status: EmailStatus, at: datetime) -> EmailStatus:
    delivered = replace(status, delivered_at=max(filter(None, (status.delivered_at, at))))
    if status.state is EmailState.OK or status.sticks:
        return delivered
    if status.changed_at is None or at > status.changed_at:
        return replace(delivered, state=EmailState.OK, bounce_kind=None, reason=None, changed_at=at)
    return delivered


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
