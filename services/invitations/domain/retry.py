"""What an attempt to send came to, and what to do next: try again later, or give up."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.invitations.domain.emails import Email


class FailureKind(StrEnum):
    REFUSED = "refused"  # a permanent 5xx refusal: giving up at once
    TEMPORARY = "temporary"  # the server said "later", or the conversation broke before DATA
    UNREACHABLE = "unreachable"  # no conversation at all: the next e-mail would fare the same
    # The whole message was sent, then the reply was lost (timeout, disconnect): the server
    # may have accepted it. Sent again as the very same e-mail: same link, same Message-ID.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SendFailure:
    reason: str
    kind: FailureKind = FailureKind.TEMPORARY


@dataclass(frozen=True)
class Attempt:
    email: Email
    failure: SendFailure | None  # None: the server accepted the e-mail
    at: datetime


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float

    def delay(self, attempt: int, jitter: float) -> timedelta:
        """Exponential backoff after the `attempt`-th failure; `jitter` in [0, 1) spreads
        retries of many messages (±20 %) so they don't all come back at once."""
        seconds = min(self.max_seconds, self.base_seconds * 2 ** min(attempt - 1, 30))
        return timedelta(seconds=seconds * (0.8 + 0.4 * jitter))


@dataclass(frozen=True)
class RetryAt:
    at: datetime
    same_email: bool  # a copy may have arrived: the next attempt resends the same e-mail


@dataclass(frozen=True)
class GiveUp:
    reason: str


def after_failure(
    policy: RetryPolicy, email: Email, failure: SendFailure, now: datetime, jitter: float
) -> RetryAt | GiveUp:
    """`email.attempts` counts the one that failed. An e-mail of which a copy may have
    arrived (this attempt's outcome is unknown, or an earlier one's was) is retried as
    the same e-mail, so that every copy's link works."""
    attempt = email.attempts
    if failure.kind is FailureKind.REFUSED:
        return GiveUp(f"The mail server refused the message: {failure.reason}")
    if attempt >= policy.max_attempts:
        return GiveUp(f"The e-mail could not be sent after {attempt} attempts: {failure.reason}")
    same_email = failure.kind is FailureKind.UNKNOWN or email.is_resend
    return RetryAt(now + policy.delay(attempt, jitter), same_email)
