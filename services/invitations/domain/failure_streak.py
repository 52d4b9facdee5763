"""Failed sends told as episodes, rate-limited, rather than one line per e-mail and attempt.

An SMTP outage fails every e-mail, each several times: 1,300 rows waiting made 8,163
warnings in 60 s. The first failure is told (a warning naming its e-mail), the next ones
only counted, with at most one warning per `remind_every` (carrying the count so far);
the first e-mail sent after a warning is told once (how many attempts failed, since when).
At the end of an outage workers still finishing a failed batch record failures while
others already send: failures within `settle` of a recovery are counted, not told (they
go into the next episode's count)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Tell(StrEnum):
    FIRST = "first"  # failures begin: a warning naming the e-mail
    REMINDER = "reminder"  # they go on: a warning with the count so far
    COUNTED = "counted"  # only counted (a debug line)


@dataclass(frozen=True)
class StreakOver:
    failed_attempts: int
    lasted: timedelta


@dataclass
class FailureStreak:
    remind_every: timedelta = timedelta(minutes=1)
    settle: timedelta = timedelta(seconds=10)
    failed_attempts: int = 0  # since the last recovery was told
    since: datetime | None = None  # the first of them
    told_at: datetime | None = None  # the last warning
    recovered_at: datetime | None = None  # the last recovery told
    open: bool = False  # a warning was written, its recovery not yet

    def failed(self, at: datetime) -> Tell:
        self.failed_attempts += 1
        self.since = self.since or at
        if self.open:
            if self.told_at is not None and at - self.told_at < self.remind_every:
                return Tell.COUNTED
            self.told_at = at
            return Tell.REMINDER
        if self.recovered_at is not None and at - self.recovered_at < self.settle:
            return Tell.COUNTED
        self.open, self.told_at = True, at
        return Tell.FIRST

    def sent(self, at: datetime) -> StreakOver | None:
        """An e-mail went out: the recovery, told once per warning."""
        if not self.open or self.since is None:
            return None
        over = StreakOver(self.failed_attempts, at - self.since)
        self.failed_attempts, self.since, self.open, self.recovered_at = 0, None, False, at
        return over
