"""What the service keeps of each request and each notice, and the states they end in."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from services.bounces.domain.errors import BatchTooLarge, MalformedNotice

# The headers worth keeping with a raw request: what its signature covered and what says
# where it came from. Never credentials (Postmark's Authorization header).
KEPT_HEADERS = frozenset(
    {
        "content-type",
        "user-agent",
        "x-twilio-email-event-webhook-signature",
        "x-twilio-email-event-webhook-timestamp",
        "x-amz-sns-message-type",
        "x-amz-sns-message-id",
        "x-amz-sns-topic-arn",
        "x-amz-sns-subscription-arn",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
)
MAX_HEADER_LENGTH = 2000


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """`headers` with lower-case names."""
    return {
        name: value[:MAX_HEADER_LENGTH] for name, value in headers.items() if name in KEPT_HEADERS
    }


class RawOutcome(StrEnum):
    """What became of an authentic request, stored with it."""

    PROCESSED = "processed"  # its notices were recorded (published, duplicates, waiting...)
    IGNORED = "ignored"  # nothing in it the platform acts on
    MALFORMED = "malformed"  # answered 400: replay reads it again after a parser fix
    TOO_LARGE = "too_large"  # more events than the provider ever sends in one request
    FAILED = "failed"  # a parser bug raised: answered 500, replay reads it after the fix
    SUBSCRIPTION_CONFIRMED = "subscription_confirmed"
    SUBSCRIPTION_TO_CONFIRM = "subscription_to_confirm"  # outbound calls off: URL logged


def refused_as(error: MalformedNotice | BatchTooLarge) -> RawOutcome:
    return RawOutcome.MALFORMED if isinstance(error, MalformedNotice) else RawOutcome.TOO_LARGE


class NoticeStatus(StrEnum):
    PUBLISHED = "published"
    UNMATCHED = "unmatched"  # no message of ours known (yet): kept, not published
    REFUSED = "refused"  # points at two tenants: kept, never published


@dataclass(frozen=True)
class Tally:
    """How the notices of a request (or a replay) ended."""

    published: int = 0
    duplicates: int = 0
    unmatched: int = 0
    refused: int = 0
    ignored: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(
            self.published + other.published,
            self.duplicates + other.duplicates,
            self.unmatched + other.unmatched,
            self.refused + other.refused,
            self.ignored + other.ignored,
        )
