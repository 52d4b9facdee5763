"""What an attempt's result does to its delivery, and to its hook's health."""

from datetime import UTC, datetime, timedelta

from services.webhooks.domain.outcomes import HookHealth, next_step
from services.webhooks.domain.responses import AttemptResult
from services.webhooks.domain.schedule import DEFAULT_SCHEDULE
from services.webhooks.domain.states import AttemptOutcome, DeliveryState

NOW = datetime(2025, 9, 15, 12, 0, tzinfo=UTC)
OK = AttemptResult(204, 12.0)
FAILED = AttemptResult(500, 30.0, "HTTP 500 Internal Server Error")
TIMED_OUT = AttemptResult(None, 15000.0, "no complete answer within 15 s")
GONE = AttemptResult(410, 8.0, "HTTP 410 Gone: the subscriber asked to stop deliveries")


def no_jitter() -> float:
    return 0.0


def test_a_2xx_delivers() -> None:
    step = next_step(OK, 3, NOW, DEFAULT_SCHEDULE, no_jitter)
    assert (step.outcome, step.state, step.next_attempt_at) == (
        AttemptOutcome.DELIVERED,
        DeliveryState.DELIVERED,
        None,
    )


def test_a_failure_is_tried_again_on_the_schedule() -> None:
    for result in (FAILED, TIMED_OUT, AttemptResult(302, 5.0, "redirect")):
        step = next_step(result, 1, NOW, DEFAULT_SCHEDULE, no_jitter)
        assert step.outcome is AttemptOutcome.RETRYING
        assert step.state is DeliveryState.PENDING
        assert step.next_attempt_at == NOW + timedelta(seconds=5)


def test_the_last_failure_gives_up() -> None:
    last = DEFAULT_SCHEDULE.max_attempts
    step = next_step(FAILED, last, NOW, DEFAULT_SCHEDULE, no_jitter)
    assert (step.outcome, step.state) == (AttemptOutcome.EXHAUSTED, DeliveryState.FAILED)


def test_410_means_the_hook_goes() -> None:
    step = next_step(GONE, 1, NOW, DEFAULT_SCHEDULE, no_jitter)
    assert (step.outcome, step.state) == (AttemptOutcome.GONE, DeliveryState.FAILED)


def test_failing_since_is_the_first_failure_after_the_last_success() -> None:
    health = HookHealth().after([(NOW, FAILED), (NOW + timedelta(minutes=1), TIMED_OUT)])
    assert health.failing_since == NOW
    assert (health.last_status, health.last_error) == (None, TIMED_OUT.error)
    recovered = health.after([(NOW + timedelta(minutes=2), OK)])
    assert (recovered.failing_since, recovered.last_status, recovered.last_error) == (
        None,
        204,
        None,
    )


def test_attempts_are_taken_in_time_order_whatever_order_they_are_recorded_in() -> None:
    health = HookHealth().after([(NOW + timedelta(seconds=2), OK), (NOW, FAILED)])
    assert (health.failing_since, health.last_status) == (None, 204)
    stale = health.after([(NOW + timedelta(seconds=1), FAILED)])
    assert stale == health, "an attempt older than the last recorded one changes nothing"


def test_a_hook_is_disabled_once_it_has_failed_for_24_hours() -> None:
    failing = HookHealth().after([(NOW, FAILED)])
    almost = failing.after([(NOW + timedelta(hours=23, minutes=59), FAILED)])
    assert not almost.to_disable(DEFAULT_SCHEDULE)
    day = failing.after([(NOW + timedelta(hours=24), FAILED)])
    assert day.to_disable(DEFAULT_SCHEDULE)
    assert not HookHealth().after([(NOW, OK)]).to_disable(DEFAULT_SCHEDULE)


def test_compressed_time_disables_sooner() -> None:
    fast = DEFAULT_SCHEDULE.compressed(3600)
    failing = HookHealth().after([(NOW, FAILED), (NOW + timedelta(seconds=24), FAILED)])
    assert failing.to_disable(fast)
    assert not failing.to_disable(DEFAULT_SCHEDULE)
