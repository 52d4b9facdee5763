from datetime import UTC, datetime, timedelta

from services.directory.domain.login_throttle import (
    ThrottlePolicy,
    ThrottleState,
    after_failure,
    remaining_wait,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = ThrottlePolicy(
    free_failures=3,
    first_wait=timedelta(seconds=1),
    max_wait=timedelta(minutes=15),
    reset_after=timedelta(hours=12),
)


def fail(times: int, start: datetime = NOW) -> ThrottleState:
    state = None
    for i in range(times):
        state = after_failure(POLICY, state, start + timedelta(seconds=i))
    assert state is not None
    return state


def test_the_first_failures_cost_nothing() -> None:
    state = fail(2)
    assert remaining_wait(state, NOW + timedelta(seconds=2)) == timedelta(0)


def test_then_each_failure_doubles_the_wait() -> None:
    waits = [POLICY.wait_after(n) for n in range(3, 7)]
    assert waits == [timedelta(seconds=s) for s in (1, 2, 4, 8)]


def test_the_wait_never_exceeds_the_ceiling_so_nobody_is_locked_out_for_good() -> None:
    assert POLICY.wait_after(60) == timedelta(minutes=15)


def test_a_blocked_account_waits_until_the_block_ends() -> None:
    state = after_failure(POLICY, fail(3), NOW + timedelta(seconds=10))
    assert remaining_wait(state, NOW + timedelta(seconds=10)) == timedelta(seconds=2)
    assert remaining_wait(state, NOW + timedelta(seconds=12)) == timedelta(0)


def test_the_count_starts_over_long_after_the_last_failure() -> None:
    state = fail(10)
    later = NOW + timedelta(hours=13)
    assert after_failure(POLICY, state, later).failures == 1
