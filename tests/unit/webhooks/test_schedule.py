"""When failed deliveries are retried, and when a failing subscription is disabled."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.webhooks.domain.schedule import DEFAULT_SCHEDULE, RetrySchedule, next_attempt

NOW = datetime(2025, 9, 15, 12, 0, tzinfo=UTC)


def no_jitter() -> float:
    return 0.0


def most_jitter() -> float:
    return 0.999999


EXPECTED_WAITS = [
    timedelta(seconds=5),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=8),
    timedelta(hours=10),
]


@pytest.mark.parametrize(("failed_attempt", "wait"), list(enumerate(EXPECTED_WAITS, start=1)))
def test_each_failed_attempt_is_followed_by_a_longer_wait(
    failed_attempt: int, wait: timedelta
) -> None:
    assert next_attempt(failed_attempt, NOW, no_jitter) == NOW + wait


def test_after_the_ninth_attempt_there_is_no_other() -> None:
    assert DEFAULT_SCHEDULE.max_attempts == 9
    assert next_attempt(9, NOW, no_jitter) is None
    assert next_attempt(12, NOW, no_jitter) is None


def test_attempts_are_counted_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        next_attempt(0, NOW, no_jitter)


def test_jitter_only_lengthens_a_wait_by_at_most_a_fifth() -> None:
    draws = random.Random(7)
    for failed_attempt, wait in enumerate(EXPECTED_WAITS, start=1):
        for _ in range(50):
            at = next_attempt(failed_attempt, NOW, draws.random)
            assert at is not None
            assert NOW + wait <= at < NOW + wait * 1.2


def test_jitter_spreads_deliveries_that_failed_together() -> None:
    draws = random.Random(11)
    retries = {next_attempt(4, NOW, draws.random) for _ in range(100)}
    assert len(retries) == 100


def test_the_whole_schedule_spans_about_a_day() -> None:
    shortest = sum(EXPECTED_WAITS, timedelta())
    assert shortest == timedelta(hours=25, minutes=36, seconds=5)
    at = NOW
    for failed_attempt in range(1, DEFAULT_SCHEDULE.max_attempts):
        following = next_attempt(failed_attempt, at, most_jitter)
        assert following is not None
        at = following
    assert at - NOW < timedelta(hours=31)


def test_a_message_failing_every_attempt_reaches_the_24_hour_disable_rule() -> None:
    """Its last attempt comes after 24 h even with no jitter, so a subscription that
    failed all along is disabled by that attempt's failure."""
    at = NOW
    for failed_attempt in range(1, DEFAULT_SCHEDULE.max_attempts):
        following = next_attempt(failed_attempt, at, no_jitter)
        assert following is not None
        at = following
    assert DEFAULT_SCHEDULE.failing_too_long(NOW, at)


def test_a_subscription_is_disabled_after_24_hours_of_failures_without_a_success() -> None:
    schedule = DEFAULT_SCHEDULE
    assert not schedule.failing_too_long(None, NOW)
    assert not schedule.failing_too_long(NOW - timedelta(hours=23, minutes=59), NOW)
    assert schedule.failing_too_long(NOW - timedelta(hours=24), NOW)
    assert schedule.failing_too_long(NOW - timedelta(days=3), NOW)


def test_time_compression_shrinks_waits_and_the_disable_window_alike() -> None:
    fast = DEFAULT_SCHEDULE.compressed(3600)  # an hour in a second
    assert fast.next_attempt(1, NOW, no_jitter) == NOW + timedelta(seconds=5) / 3600
    assert fast.next_attempt(8, NOW, no_jitter) == NOW + timedelta(seconds=10)
    assert not fast.failing_too_long(NOW - timedelta(seconds=23), NOW)
    assert fast.failing_too_long(NOW - timedelta(seconds=24), NOW)
    assert fast.max_attempts == DEFAULT_SCHEDULE.max_attempts


@pytest.mark.parametrize("factor", [0, -1])
def test_a_compression_factor_must_be_positive(factor: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        RetrySchedule(compression=factor)
