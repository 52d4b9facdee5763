"""One invitation or reminder e-mail, from the moment a sender claims it to its recorded
outcome: the one value every layer passes along (the MIME bytes are the mail adapter's)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.invitations.domain.links import IssuedLink, Link
from services.invitations.domain.suppression import SuppressedAddress


class MailKind(StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a link to choose a new password
    LOGIN_ALERT = "login_alert"  # logins keep failing: a word, and a reset link all the same


# The e-mails the directory hears about (`invitation.sent`, `invitation.failed`).
INVITATION_KINDS = (MailKind.INVITATION, MailKind.REMINDER)
# The e-mails whose link chooses a new password for an active user (one hour).
RESET_KINDS = (MailKind.PASSWORD_RESET, MailKind.LOGIN_ALERT)


class DeliveryState(StrEnum):
    PENDING = "pending"  # to send: first attempt, or the last one surely failed (no link out)
    SENDING = "sending"  # claimed, or the last attempt's outcome is unknown: its link may be out
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


OPEN_STATES = (DeliveryState.PENDING, DeliveryState.SENDING)
LINK_STATES = (DeliveryState.SENDING, DeliveryState.SENT)  # whose link may be in an inbox


def new_message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


@dataclass(frozen=True)
class LatestUser:
    """The latest user snapshot this service saw."""

    email: str
    deactivated: bool
    updated_at: datetime


@dataclass(frozen=True)
class Email:
    tenant_id: uuid.UUID
    delivery_id: uuid.UUID
    invitation_id: uuid.UUID
    user_id: uuid.UUID
    kind: MailKind
    address: str
    first_name: str
    last_name: str
    locale: str
    tenant_name: str
    requested_at: datetime
    invitation_open: bool
    invitation_expires_at: datetime | None  # a reminder's link dies with its invitation
    suppressed: SuppressedAddress | None
    latest_user: LatestUser | None
    attempts: int  # made so far; once claimed, this one included
    message_id: str | None  # fixed at the first claim, for the e-mail's whole life
    issued: IssuedLink | None  # the link an earlier attempt may have delivered
    link: Link | None = None  # the link this attempt carries, once claimed

    @property
    def is_resend(self) -> bool:
        """An earlier attempt may have delivered it: send the very same e-mail again."""
        return self.issued is not None
