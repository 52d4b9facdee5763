"""What came of a batch of attempts, recorded in one transaction: each attempt, each
delivery's next step (done, retry later, given up), each hook's health; a hook answering
410 is deleted, one failing for too long is disabled."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.webhooks.db import attempts as attempts_db
from services.webhooks.db import deliveries as deliveries_db
from services.webhooks.db import hooks as hooks_db
from services.webhooks.db.deliveries import JobUpdate
from services.webhooks.db.hooks import HookKey
from services.webhooks.domain.claims import FinishedAttempt
from services.webhooks.domain.outcomes import NextStep, next_step
from services.webhooks.domain.schedule import Random, RetrySchedule
from services.webhooks.domain.states import AttemptOutcome, DeliveryState
from shared.unit_of_work import UnitOfWork


@dataclass
class Recorded:
    outcomes: list[AttemptOutcome] = field(default_factory=list)
    disabled: set[HookKey] = field(default_factory=set)
    deleted: set[HookKey] = field(default_factory=set)


async def record_attempts(
    uow: UnitOfWork, finished: Sequence[FinishedAttempt], schedule: RetrySchedule, random: Random
) -> Recorded:
    session, now = uow.session, datetime.now(UTC)
    steps = [next_step(f.result, f.delivery.attempt, f.at, schedule, random) for f in finished]
    by_hook: dict[HookKey, list[tuple[FinishedAttempt, NextStep]]] = defaultdict(list)
    for attempt, step in zip(finished, steps, strict=True):
        by_hook[(attempt.delivery.tenant_id, attempt.delivery.hook_id)].append((attempt, step))
    health = await hooks_db.lock_health(session, by_hook)  # hooks deleted meanwhile: absent
    recorded = Recorded(outcomes=[step.outcome for step in steps])
    recorded.deleted = {
        key
        for key, pairs in by_hook.items()
        if key in health and any(step.outcome is AttemptOutcome.GONE for _, step in pairs)
    }
    kept = {key: pairs for key, pairs in by_hook.items() if key in health}
    updated = {
        key: health[key].after((a.at, a.result) for a, _ in pairs)
        for key, pairs in kept.items()
        if key not in recorded.deleted
    }
    recorded.disabled = {key for key, h in updated.items() if h.to_disable(schedule)}
    pairs = [pair for key, kept_pairs in kept.items() for pair in kept_pairs]
    await attempts_db.add_attempts(session, [_attempt_row(a, s) for a, s in pairs])
    await deliveries_db.finish(session, [_job_update(a, s) for a, s in pairs], now)
    await hooks_db.save_health(session, updated)
    await hooks_db.disable_hooks(session, recorded.disabled, now)
    await deliveries_db.fail_undelivered(session, recorded.disabled, now)
    await hooks_db.delete_hooks(session, recorded.deleted)
    return recorded


def _attempt_row(attempt: FinishedAttempt, step: NextStep) -> dict[str, object]:
    delivery, result = attempt.delivery, attempt.result
    return {
        "tenant_id": delivery.tenant_id,
        "hook_id": delivery.hook_id,
        "delivery_id": delivery.id,
        "event_id": delivery.event_id,
        "event": delivery.event.value,
        "attempt": delivery.attempt,
        "status": result.status,
        "outcome": step.outcome,
        "duration_ms": result.duration_ms,
        "error": result.error,
        "at": attempt.at,
    }


def _job_update(attempt: FinishedAttempt, step: NextStep) -> JobUpdate:
    finished = step.state in (DeliveryState.DELIVERED, DeliveryState.FAILED)
    return JobUpdate(
        tenant_id=attempt.delivery.tenant_id,
        id=attempt.delivery.id,
        state=step.state,
        attempts=attempt.delivery.attempt,
        next_attempt_at=step.next_attempt_at,
        finished_at=attempt.at if finished else None,
    )
