"""What came of a batch of attempts, recorded in one transaction: each attempt, each
delivery's next step (done, retry later, given up), each hook's health; a hook answering
410 is deleted, one failing for too long is disabled.

A hook's row is written only when its health changes (a failure after successes, a
recovery, another status or error): a healthy hook is read, not locked nor written, for
each batch of its deliveries."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.webhooks.db import deliveries as deliveries_db
from services.webhooks.db import hooks as hooks_db
from services.webhooks.db.deliveries import AttemptRecord
from services.webhooks.db.hooks import HookKey
from services.webhooks.domain.claims import FinishedAttempt
from services.webhooks.domain.outcomes import HookHealth, NextStep, next_step
from services.webhooks.domain.schedule import Random, RetrySchedule
from services.webhooks.domain.states import AttemptOutcome, DeliveryState
from shared.unit_of_work import UnitOfWork

Attempts = list[tuple[FinishedAttempt, NextStep]]


@dataclass
class Recorded:
    outcomes: list[AttemptOutcome] = field(default_factory=list)
    disabled: set[HookKey] = field(default_factory=set)
    deleted: set[HookKey] = field(default_factory=set)
    unblocked: int = 0  # deliveries that waited for one of these (per user order)


async def record_attempts(
    uow: UnitOfWork, finished: Sequence[FinishedAttempt], schedule: RetrySchedule, random: Random
) -> Recorded:
    session, now = uow.session, datetime.now(UTC)
    steps = [next_step(f.result, f.delivery.attempt, f.at, schedule, random) for f in finished]
    by_hook: dict[HookKey, Attempts] = defaultdict(list)
    for attempt, step in zip(finished, steps, strict=True):
        by_hook[(attempt.delivery.tenant_id, attempt.delivery.hook_id)].append((attempt, step))
    recorded = Recorded(outcomes=[step.outcome for step in steps])

    health = await hooks_db.read_health(session, by_hook)  # deleted meanwhile: absent
    changing = {key for key in health if _changes(health[key], by_hook[key], schedule)}
    if changing:  # lock, and decide again on what is there now
        health |= await hooks_db.read_health(session, changing, lock=True)
        changing &= health.keys()
    gone = {key for key in changing if _gone(by_hook[key])}
    updated = {key: _after(health[key], by_hook[key]) for key in changing - gone}
    to_disable = {
        key for key, h in updated.items() if h.to_disable(_latest(by_hook[key]), schedule)
    }

    kept = [pair for key in health for pair in by_hook[key]]
    recorded.unblocked = await deliveries_db.record_outcomes(
        session, [_record(a, s) for a, s in kept]
    )
    await hooks_db.save_health(session, _changed(health, updated))
    recorded.disabled = await hooks_db.disable_hooks(session, to_disable, now)
    await deliveries_db.fail_undelivered(session, recorded.disabled, now)
    await hooks_db.delete_hooks(session, gone)
    recorded.deleted = gone
    return recorded


def _changes(health: HookHealth, attempts: Attempts, schedule: RetrySchedule) -> bool:
    after = _after(health, attempts)
    return after != health or _gone(attempts) or after.to_disable(_latest(attempts), schedule)


def _after(health: HookHealth, attempts: Attempts) -> HookHealth:
    return health.after((attempt.at, attempt.result) for attempt, _ in attempts)


def _gone(attempts: Attempts) -> bool:
    return any(step.outcome is AttemptOutcome.GONE for _, step in attempts)


def _latest(attempts: Attempts) -> datetime:
    return max(attempt.at for attempt, _ in attempts)


def _changed(
    before: Mapping[HookKey, HookHealth], after: Mapping[HookKey, HookHealth]
) -> dict[HookKey, HookHealth]:
    return {key: health for key, health in after.items() if health != before[key]}


def _record(attempt: FinishedAttempt, step: NextStep) -> AttemptRecord:
    delivery, result = attempt.delivery, attempt.result
    finished = step.state in (DeliveryState.DELIVERED, DeliveryState.FAILED)
    return AttemptRecord(
        tenant_id=delivery.tenant_id,
        delivery_id=delivery.id,
        hook_id=delivery.hook_id,
        event_id=delivery.event_id,
        event=delivery.event.value,
        attempt=delivery.attempt,
        status=result.status,
        outcome=step.outcome,
        duration_ms=result.duration_ms,
        error=result.error,
        at=attempt.at,
        state=step.state,
        next_attempt_at=step.next_attempt_at,
        finished_at=attempt.at if finished else None,
    )
