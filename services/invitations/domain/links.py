"""The invitation link's lifecycle: issued, then usable until used, revoked or expired."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# `shared.security.tokens.new_token()` gives 43 URL-safe characters (256 bits).
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43,128}$")


class LinkStatus(StrEnum):
    USABLE = "usable"
    EXPIRED = "expired"
    # Used, revoked or never issued: one answer for all, so nobody learns which.
    UNUSABLE = "unusable"


@dataclass(frozen=True)
class LinkFacts:
    accepted_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None


def token_has_valid_shape(token: str) -> bool:
    return bool(_TOKEN_SHAPE.match(token))


def link_status(facts: LinkFacts | None, now: datetime) -> LinkStatus:
    if facts is None or facts.accepted_at or facts.revoked_at or facts.expires_at is None:
        return LinkStatus.UNUSABLE
    return LinkStatus.USABLE if now < facts.expires_at else LinkStatus.EXPIRED


def link_expiry(issued_at: datetime, ttl: timedelta) -> datetime:
    return issued_at + ttl


def reminder_due_at(expires_at: datetime, before: timedelta) -> datetime:
    return expires_at - before
