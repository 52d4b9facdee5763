"""What a delivery attempt's outcome means (Standard Webhooks and resthooks.org agree):
2xx delivered; 410 Gone, the subscriber wants no more (Zapier answers it after a Zap is
turned off); anything else, including a redirect (never followed) and no answer at all,
is a failure to retry."""

from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus


class Verdict(StrEnum):
    DELIVERED = "delivered"
    UNSUBSCRIBE = "unsubscribe"
    RETRY = "retry"


def verdict_for(status: int | None) -> Verdict:
    """`status` None: no response (timeout, refused address, connection error)."""
    if status is not None and 200 <= status < 300:
        return Verdict.DELIVERED
    if status == HTTPStatus.GONE:
        return Verdict.UNSUBSCRIBE
    return Verdict.RETRY


def status_error(status: int, location: str | None = None) -> str | None:
    """What went wrong, in words, for a response that is not a success."""
    if 200 <= status < 300:
        return None
    try:
        phrase = f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        phrase = f"HTTP {status}"
    if 300 <= status < 400:
        where = f" to {location}" if location else ""
        return f"{phrase}: redirect{where} not followed; subscribe with the final URL"
    if status == HTTPStatus.GONE:
        return f"{phrase}: the subscriber asked to stop deliveries"
    return phrase


@dataclass(frozen=True)
class AttemptResult:
    """One delivery attempt as recorded: what came back, how long it took, what failed."""

    status: int | None
    duration_ms: float
    error: str | None = None

    @property
    def verdict(self) -> Verdict:
        return verdict_for(self.status)

    @property
    def gone(self) -> bool:
        """The subscriber answered 410 Gone: delete the subscription."""
        return self.verdict is Verdict.UNSUBSCRIBE
