"""Failed sends are told as episodes: the first failure, a reminder at most once a
`remind_every`, the rest counted; the first e-mail sent after a warning ends it, and
failures just after that (`settle`) are only counted."""

from datetime import UTC, datetime, timedelta

from services.invitations.domain.failure_streak import FailureStreak, StreakOver, Tell

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_an_outage_is_told_once_reminded_then_told_over() -> None:
    streak = FailureStreak(remind_every=timedelta(minutes=1))
    told = [streak.failed(_at(s)) for s in range(0, 90, 5)]  # 18 failures in 90 s
    assert told[0] is Tell.FIRST
    assert told[12] is Tell.REMINDER  # at 60 s
    assert told.count(Tell.COUNTED) == 16
    assert streak.sent(_at(95)) == StreakOver(18, timedelta(seconds=95))
    assert streak.sent(_at(96)) is None  # told already


def test_failures_at_the_end_of_an_outage_are_counted_not_told_again() -> None:
    streak = FailureStreak(remind_every=timedelta(minutes=1), settle=timedelta(seconds=10))
    assert streak.failed(_at(0)) is Tell.FIRST
    assert streak.sent(_at(3)) == StreakOver(1, timedelta(seconds=3))
    # Workers still finishing a failed batch while others send again.
    assert [streak.failed(_at(4)), streak.failed(_at(5))] == [Tell.COUNTED, Tell.COUNTED]
    assert streak.sent(_at(6)) is None
    # A new outage, once settled: told again, with the failures not told yet.
    assert streak.failed(_at(20)) is Tell.FIRST
    assert streak.sent(_at(30)) == StreakOver(3, timedelta(seconds=26))
