"""A user's envelope state (domain/email_state.py), read from and written to the user."""

from services.directory.db.models import User
from services.directory.domain.email_state import EmailStatus


def email_status(user: User) -> EmailStatus:
    return EmailStatus(
        state=user.email_state,
        bounce_kind=user.email_bounce_kind,
        reason=user.email_state_reason,
        changed_at=user.email_state_changed_at,
        delivered_at=user.email_delivered_at,
    )


def store_email_status(user: User, status: EmailStatus) -> None:
    user.email_state, user.email_bounce_kind = status.state, status.bounce_kind
    user.email_state_reason = status.reason
    user.email_state_changed_at = status.changed_at
    user.email_delivered_at = status.delivered_at
