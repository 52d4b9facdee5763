"""What to do after a sending attempt failed: try again later, or give up."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SendFailure:
    reason: str
    permanent: bool = False  # e.g. the server refused the recipient with a 5xx
    unreachable: bool = False  # no conversation at all: the next e-mail would fare the same


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


@dataclass(frozen=True)
class GiveUp:
    reason: str


def after_failure(
    policy: RetryPolicy, attempt: int, failure: SendFailure, now: datetime, jitter: float
) -> RetryAt | GiveUp:
    if failure.permanent:
        return GiveUp(f"The mail server refused the message: {failure.reason}")
    if attempt >= policy.max_attempts:
        return GiveUp(f"The e-mail could not be sent after {attempt} attempts: {failure.reason}")
    return RetryAt(now + policy.delay(attempt, jitter))
