"""What an attempt's result does to its delivery and to its subscription's health."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from services.webhooks.domain.responses import AttemptResult, Verdict
from services.webhooks.domain.schedule import Random, RetrySchedule
from services.webhooks.domain.states import AttemptOutcome, DeliveryState


@dataclass(frozen=True)
class NextStep:
    outcome: AttemptOutcome
    state: DeliveryState
    next_attempt_at: datetime | None  # when state is PENDING


def next_step(
    result: AttemptResult, attempt: int, at: datetime, schedule: RetrySchedule, random: Random
) -> NextStep:
    """Attempt number `attempt` (from 1) ended with `result` at `at`: what happens next."""
    verdict = result.verdict
    if verdict is Verdict.DELIVERED:
        return NextStep(AttemptOutcome.DELIVERED, DeliveryState.DELIVERED, None)
    if verdict is Verdict.UNSUBSCRIBE:
        return NextStep(AttemptOutcome.GONE, DeliveryState.FAILED, None)
    later = schedule.next_attempt(attempt, at, random)
    if later is None:
        return NextStep(AttemptOutcome.EXHAUSTED, DeliveryState.FAILED, None)
    return NextStep(AttemptOutcome.RETRYING, DeliveryState.PENDING, later)


@dataclass(frozen=True)
class HookHealth:
    """How a subscription's deliveries have been going, as the API shows it. It changes
    only when the deliveries' fortune does (not on every success), so a healthy hook's
    row is not written for each delivery."""

    failing_since: datetime | None = None  # the first failure since the last success
    last_status: int | None = None
    last_error: str | None = None

    def after(self, attempts: Iterable[tuple[datetime, AttemptResult]]) -> "HookHealth":
        """The health once these attempts are taken into account, in time order."""
        health = self
        for at, result in sorted(attempts, key=lambda attempt: attempt[0]):
            delivered = result.verdict is Verdict.DELIVERED
            health = replace(
                health,
                failing_since=None if delivered else health.failing_since or at,
                last_status=result.status,
                last_error=None if delivered else result.error,
            )
        return health

    def to_disable(self, now: datetime, schedule: RetrySchedule) -> bool:
        """Failing without a success for longer than the schedule allows."""
        return schedule.failing_too_long(self.failing_since, now)
