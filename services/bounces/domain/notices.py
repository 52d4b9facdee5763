"""A provider's report about one message to one recipient, in the same shape for every
provider: what the service stores, matches and publishes."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from services.bounces.domain.addresses import normalize_address, normalize_message_id
from shared.contracts.users import BounceKind

MAX_REASON_LENGTH = 1000
MAX_TAG_KIND_LENGTH = 64


class Provider(StrEnum):
    SENDGRID = "sendgrid"
    MAILGUN = "mailgun"
    POSTMARK = "postmark"
    SES = "ses"
    GENERIC = "generic"


class NoticeType(StrEnum):
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    DELIVERED = "delivered"


TAG_KEYS = ("tenant_id", "user_id", "invitation_id", "kind")


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ProviderTags:
    """The tags invitations puts on every e-mail (`trace_headers`), as the provider gave
    them back. A tag that isn't well-formed is left out rather than refusing the notice:
    another sender sharing the provider account may use the same names."""

    tenant_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    invitation_id: uuid.UUID | None = None
    kind: str | None = None

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> "ProviderTags":
        kind = values.get("kind")
        return cls(
            tenant_id=_uuid(values.get("tenant_id")),
            user_id=_uuid(values.get("user_id")),
            invitation_id=_uuid(values.get("invitation_id")),
            kind=kind if isinstance(kind, str) and 0 < len(kind) <= MAX_TAG_KIND_LENGTH else None,
        )

    @property
    def empty(self) -> bool:
        return self == ProviderTags()


@dataclass(frozen=True)
class Notice:
    """Built normalised: the recipient lower-case with its IDN domain in Unicode, our
    Message-ID in angle brackets, the time in UTC."""

    provider: Provider
    provider_event_id: str  # the de-duplication key, unique per provider
    type: NoticeType
    recipient: str
    occurred_at: datetime
    bounce_kind: BounceKind | None = None  # set for bounces only
    reason: str | None = None
    smtp_status: str | None = None  # enhanced status (5.1.1) when known, else the reply code
    message_id: str | None = None  # ours, the RFC 5322 Message-ID we sent
    provider_message_id: str | None = None
    feedback_type: str | None = None  # complaints: abuse, fraud... when the provider says
    tags: ProviderTags = field(default_factory=ProviderTags)

    def __post_init__(self) -> None:
        if not self.provider_event_id:
            raise ValueError("a notice needs the provider's event id")
        if (self.type is NoticeType.BOUNCED) != (self.bounce_kind is not None):
            raise ValueError("a bounce kind is given for bounces, and only for them")
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        reason = (self.reason or "").strip()[:MAX_REASON_LENGTH] or None
        object.__setattr__(self, "recipient", normalize_address(self.recipient))
        object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(UTC))
        object.__setattr__(self, "message_id", normalize_message_id(self.message_id))
        object.__setattr__(self, "reason", reason)


@dataclass(frozen=True)
class Ignored:
    """An event acknowledged and dropped: the platform doesn't act on it."""

    provider: Provider
    event: str  # the provider's name for it: open, deferred, processed...
    why: str
    provider_event_id: str | None = None


ParseResult = Notice | Ignored
