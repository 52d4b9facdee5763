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
    health = HookHealth().after([(NOW + timedelta(minutes=1), TIMED_OUT), (NOW, FAILED)])
    assert health.failing_since == NOW
    assert (health.last_status, health.last_error) == (None, TIMED_OUT.error)
    recovered = health.after([(NOW + timedelta(minutes=2), OK)])
    assert recovered == HookHealth(failing_since=None, last_status=204, last_error=None)


def test_more_of_the_same_changes_nothing() -> None:
    healthy = HookHealth().after([(NOW, OK)])
    assert healthy.after([(NOW + timedelta(seconds=1), OK)]) == healthy
    failing = HookHealth().after([(NOW, FAILED)])
    assert failing.after([(NOW + timedelta(minutes=5), FAILED)]) == failing


def test_a_hook_is_disabled_once_it_has_failed_for_24_hours() -> None:
    failing = HookHealth().after([(NOW, FAILED)])
    assert not failing.to_disable(NOW + timedelta(hours=23, minutes=59), DEFAULT_SCHEDULE)
    assert failing.to_disable(NOW + timedelta(hours=24), DEFAULT_SCHEDULE)
    healthy = HookHealth().after([(NOW, OK)])
    assert not healthy.to_disable(NOW + timedelta(days=3), DEFAULT_SCHEDULE)


def test_compressed_time_disables_sooner() -> None:
    failing = HookHealth().after([(NOW, FAILED)])
    later = NOW + timedelta(seconds=24)
    assert failing.to_disable(later, DEFAULT_SCHEDULE.compressed(3600))
    assert not failing.to_disable(later, DEFAULT_SCHEDULE)
