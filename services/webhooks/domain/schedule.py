"""When a failed delivery is tried again, and when a failing subscription is disabled.

Shaped like Svix's schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) with
one more early step and the last one placed so that the final attempt of a message always
comes after 24 h: a subscription that failed all that time gets disabled by it, not left
enabled because its last message ran out of attempts a little earlier.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

Random = Callable[[], float]
"""A source of floats in [0, 1), like `random.random`."""

# The wait before attempt 2, 3, ...: 9 attempts, the last 25 h 36 min 5 s after the first
# (up to 30 h 43 min with jitter).
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=8),
    timedelta(hours=10),
)
DISABLE_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class RetrySchedule:
    delays: tuple[timedelta, ...] = RETRY_DELAYS
    # Each wait is lengthened by up to this fraction, at random, so that the deliveries
    # that failed together (a receiver's outage) don't all come back in the same second.
    # Only lengthened: the 24 h guarantee above holds whatever the draw.
    jitter: float = 0.2
    disable_after: timedelta = DISABLE_AFTER
    # Real time per scheduled time: 3600 makes an hour pass in a second (tests, demos).
    compression: float = 1.0

    def __post_init__(self) -> None:
        if self.compression <= 0:
            raise ValueError("the time compression factor must be positive")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter is a fraction from 0 to 1")

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def compressed(self, factor: float) -> "RetrySchedule":
        return replace(self, compression=factor)

    def delay_after(self, attempt: int, random: Random) -> timedelta | None:
        """How long to wait after attempt number `attempt` (1 = the first) failed; None
        once every attempt has been made."""
        if attempt < 1:
            raise ValueError("attempts are counted from 1")
        if attempt > len(self.delays):
            return None
        base = self.delays[attempt - 1]
        return base * (1 + self.jitter * random()) / self.compression

    def next_attempt(self, attempt: int, now: datetime, random: Random) -> datetime | None:
        delay = self.delay_after(attempt, random)
        return None if delay is None else now + delay

    def failing_too_long(self, failing_since: datetime | None, now: datetime) -> bool:
        """Whether a subscription whose deliveries have failed without a success since
        `failing_since` is to be disabled now."""
        if failing_since is None:
            return False
        return now - failing_since >= self.disable_after / self.compression


DEFAULT_SCHEDULE = RetrySchedule()


def next_attempt(
    attempt: int, now: datetime, random: Random, schedule: RetrySchedule = DEFAULT_SCHEDULE
) -> datetime | None:
    """When to make attempt `attempt + 1` after attempt `attempt` failed at `now`."""
    return schedule.next_attempt(attempt, now, random)
