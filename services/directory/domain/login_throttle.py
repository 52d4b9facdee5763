"""How repeated login failures slow an attacker down without locking anyone out for good.

The first failures are free; after that each failure makes the account wait twice as
long, up to a ceiling; the count starts over some hours after the last failure. It is
applied to the account *name*, whether or not such an account exists, so the answer
never tells an attacker which accounts exist.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = 5
    first_wait: timedelta = timedelta(seconds=1)
    max_wait: timedelta = timedelta(minutes=15)
    reset_after: timedelta = timedelta(hours=12)

    def wait_after(self, failures: int) -> timedelta:
        if failures < self.free_failures:
            return timedelta(0)
        doublings = min(failures - self.free_failures, 32)  # beyond that it is the ceiling
        wait: timedelta = self.first_wait * 2**doublings
        return min(self.max_wait, wait)


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    last_failure_at: datetime
    blocked_until: datetime | None


def remaining_wait(state: ThrottleState | None, now: datetime) -> timedelta:
    if state is None or state.blocked_until is None or state.blocked_until <= now:
        return timedelta(0)
    return state.blocked_until - now


def after_failure(
    policy: ThrottlePolicy, state: ThrottleState | None, now: datetime
) -> ThrottleState:
    failures = 1
    if state is not None and now - state.last_failure_at < policy.reset_after:
        failures = state.failures + 1
    wait = policy.wait_after(failures)
    return ThrottleState(failures, now, now + wait if wait else None)
