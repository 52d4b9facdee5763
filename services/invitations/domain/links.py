"""The invitation link: issued in an e-mail, then usable until used, revoked or expired.

Only the token's hash is stored, and the nonce it is derived from: token =
HMAC-SHA256(LINK_SECRET, nonce). A resend of an e-mail whose earlier copy may have arrived
(its outcome was unknown, or the sender died before recording it) derives the very same
token, so every copy's link works; without LINK_SECRET the database alone gives no token.
"""

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shared.errors import Gone, NotFound
from shared.security.tokens import token_hash

# 43 URL-safe characters (256 bits), as `shared.security.tokens.new_token()` and `LinkMaker`.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43,128}$")


class LinkStatus(StrEnum):
    USABLE = "usable"
    EXPIRED = "expired"
    # Used, revoked or never issued: one answer for all, so nobody learns which.
    UNUSABLE = "unusable"


class RevokeReason(StrEnum):
    """Why links died; said in `invitation.revoked`."""

    SUPERSEDED = "superseded by a newer invitation"
    DEACTIVATED = "user deactivated"
    ADDRESS_CHANGED = "e-mail address changed"
    ACCEPTED = "accepted"  # another link of the user was used


@dataclass(frozen=True)
class IssuedLink:
    """What is stored of a link that went out (or may have): never the token itself."""

    nonce: bytes = field(repr=False)
    token_hash: bytes = field(repr=False)
    expires_at: datetime


@dataclass(frozen=True)
class Link:
    token: str = field(repr=False)  # in memory and in the e-mail only
    issued: IssuedLink


class LinkMaker:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def new(self, expires_at: datetime) -> Link:
        nonce = secrets.token_bytes(16)
        token = self._token(nonce)
        return Link(token, IssuedLink(nonce, token_hash(token), expires_at))

    def again(self, issued: IssuedLink) -> Link | None:
        """The same link once more; None when it can't be derived (LINK_SECRET changed)."""
        token = self._token(issued.nonce)
        if not hmac.compare_digest(token_hash(token), issued.token_hash):
            return None
        return Link(token, issued)

    def _token(self, nonce: bytes) -> str:
        digest = hmac.new(self._secret, b"invitation-link:" + nonce, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class LinkedInvitation:
    """The invitation a link belongs to, as its page shows it."""

    tenant_id: uuid.UUID
    invitation_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    first_name: str
    tenant_name: str
    locale: str
    accepted_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None  # the link's
    is_password_reset: bool = False  # a reset link (an active user), not an invitation


class LinkExpired(Gone):
    """The link was good but its time is over; `locale` is its invitee's."""

    def __init__(self, locale: str, *, is_password_reset: bool = False) -> None:
        super().__init__("This link has expired.")
        self.locale = locale
        self.is_password_reset = is_password_reset


def unusable_link() -> NotFound:
    return NotFound("This link is not valid.")


def token_has_valid_shape(token: str) -> bool:
    return bool(_TOKEN_SHAPE.match(token))


def link_status(invitation: LinkedInvitation | None, now: datetime) -> LinkStatus:
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        return LinkStatus.UNUSABLE
    if invitation.expires_at is None:
        return LinkStatus.UNUSABLE
    return LinkStatus.USABLE if now < invitation.expires_at else LinkStatus.EXPIRED


def usable(invitation: LinkedInvitation | None, now: datetime) -> LinkedInvitation:
    """The invitation, if its link can be used now; else the error to show."""
    status = link_status(invitation, now)
    if status is LinkStatus.EXPIRED and invitation is not None:
        raise LinkExpired(invitation.locale, is_password_reset=invitation.is_password_reset)
    if status is not LinkStatus.USABLE or invitation is None:
        raise unusable_link()
    return invitation
