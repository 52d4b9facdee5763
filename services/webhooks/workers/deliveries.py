"""The sender: claims due deliveries, sends each in its own task, records the outcomes in
batches.

    dispatcher --claims--> one task per delivery --outcome--> recorder --commit--> wakeup

At most `concurrency` deliveries are claimed at once, and at most `per_target` are sent
at once to one receiving server (a semaphore per target). A claim takes at most
CLAIM_AHEAD times that per target, minus what is already held: the next ones wait here,
ready, while the first are sent (a fast receiver never waits for a claim's round trip);
a target is claimed for again when it is down to half of that, in one claim of the half
(`is_full`). A receiver that never answers holds its own claims and slots, nobody else's. A
claim that waited so long that its attempt could outlast its lease is handed back
unsent (another process may take it then). The dispatcher claims again when a target's
claims fall to half of what it may hold, when new deliveries are queued (NOTIFY), when a
recorded delivery lets the next event of its user go (one user's events reach a hook in
order), and at least every DELIVERY_POLL_SECONDS (retries that came due).
"""

import asyncio
import contextlib
import random
from collections import Counter
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.webhooks.adapters.http_delivery import WebhookSender
from services.webhooks.adapters.target_limits import TargetLimiter
from services.webhooks.domain.claims import ClaimedDelivery, FinishedAttempt, is_full
from services.webhooks.domain.schedule import RetrySchedule
from services.webhooks.metrics import (
    ATTEMPT_DURATION,
    DELIVERY_ATTEMPTS,
    HOOKS_DISABLED,
    IN_FLIGHT,
)
from services.webhooks.usecases.claim_deliveries import claim_deliveries, release_deliveries
from services.webhooks.usecases.record_attempts import record_attempts
from services.webhooks.usecases.send_delivery import send_delivery
from shared.db import Database
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork, unit_of_work
from shared.wakeup import Wakeup
from shared.workers import Worker

log = get_logger(__name__)

RECORD_BATCH = 500
RECORDER_TICK_SECONDS = 0.5  # how often an idle recorder checks whether it must stop
# Claims held per target, in multiples of the deliveries sent to it at once: enough for
# the sends to go on while the next claim's round trip is under way (bench/webhooks.py:
# at 2, the sends to a fast local receiver mostly waited for the next claim).
CLAIM_AHEAD = 16
RECORD_LINGER_SECONDS = 0.02  # while attempts are under way, gather their outcomes a bit
# After a claim that found nothing while some target was full, the next waits this long at
# least: every event queued wakes the dispatcher (NOTIFY), and while a full target's own
# deliveries are all that is due, each of those claims read the whole queue for nothing
# (bench/webhooks.py: 197 of 279 claims were empty while the events were consumed). A
# target that is down to half of its claims ends the wait at once: otherwise a fast
# receiver idled through most of each spacing (bench/webhooks.py: ~100 deliveries per
# 0.25 s pause, 262/s to one receiver, the service busy 28% of the time).
EMPTY_CLAIM_SPACING_SECONDS = 0.25


@dataclass(frozen=True)
class DeliveryLimits:
    concurrency: int
    per_target: int
    batch_size: int
    lease: timedelta
    attempt_timeout: timedelta

    @property
    def claims_per_target(self) -> int:
        return self.per_target * CLAIM_AHEAD


class DeliveryEngine:
    def __init__(
        self,
        *,
        service: str,
        db: Database,
        sender: WebhookSender,
        wakeup: Wakeup,
        schedule: RetrySchedule,
        limits: DeliveryLimits,
    ) -> None:
        self._service = service
        self._db = db
        self._sender = sender
        self._wakeup = wakeup
        self._schedule = schedule
        self._limits = limits
        self._limiter = TargetLimiter(limits.per_target)
        self._claimed: Counter[str] = Counter()  # per target: claimed, not yet sent
        self._tasks: dict[asyncio.Task[None], ClaimedDelivery] = {}
        self._room = asyncio.Event()
        self._next_claim_at = 0.0  # loop time: see EMPTY_CLAIM_SPACING_SECONDS
        self._target_room = asyncio.Event()  # a full target is down to half: claim for it
        self._finished: asyncio.Queue[FinishedAttempt | ClaimedDelivery] = asyncio.Queue()
        self._unrecorded: list[FinishedAttempt | ClaimedDelivery] = []
        self._dispatcher = Worker(
            "webhook-dispatcher", self._dispatch, service=service, wakeup=wakeup
        )
        self._recorder = Worker("webhook-recorder", self._record, service=service)

    def start(self) -> None:
        self._recorder.start()
        self._dispatcher.start()

    async def stop(self, grace_seconds: float) -> None:
        """No more claims; let the attempts under way finish (within the grace), hand
        back the rest, record every outcome."""
        await self._dispatcher.stop(grace_seconds / 3)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace_seconds / 3)
        abandoned = [delivery for task, delivery in self._tasks.items() if not task.done()]
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._recorder.stop(RECORDER_TICK_SECONDS * 2)
        with contextlib.suppress(Exception):
            await self._record_now(self._take_finished())
        if abandoned:
            with contextlib.suppress(Exception):
                async with self._unit_of_work() as uow:
                    await release_deliveries(uow, abandoned)
        await self._sender.aclose()
        await self._db.dispose()  # the sender's own connections (see app.py)

    def _unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return unit_of_work(self._db, UnitOfWork)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def _dispatch(self) -> bool:
        room = self._limits.concurrency - len(self._tasks)
        if room <= 0:
            self._room.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._room.wait(), 1.0)
            return True
        loop = asyncio.get_running_loop()
        if (pause := self._next_claim_at - loop.time()) > 0:
            # Only a target that has room again ends the pause; new deliveries don't.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._target_room.wait(), pause)
        self._target_room.clear()  # a target getting room from now on is claimed for next
        limit = min(room, self._limits.batch_size)
        async with self._unit_of_work() as uow:
            claimed = await claim_deliveries(
                uow,
                limit=limit,
                per_target=self._limits.claims_per_target,
                held=dict(self._claimed),
                lease=self._limits.lease,
            )
        per_target = self._limits.claims_per_target
        if not claimed and any(is_full(n, per_target) for n in self._claimed.values()):
            self._next_claim_at = loop.time() + EMPTY_CLAIM_SPACING_SECONDS
        for delivery in claimed:
            self._claimed[delivery.target_key] += 1
            task = asyncio.create_task(self._deliver(delivery), name=f"webhook-{delivery.id}")
            self._tasks[task] = delivery
            task.add_done_callback(self._done)
        IN_FLIGHT.labels(self._service).set(len(self._tasks))
        return len(claimed) == limit

    async def _deliver(self, delivery: ClaimedDelivery) -> None:
        try:
            async with self._limiter.slot(delivery.target_key):
                if not delivery.may_start(datetime.now(UTC), self._limits.attempt_timeout):
                    self._finished.put_nowait(delivery)  # handed back, unsent
                    return
                finished = await send_delivery(self._sender, delivery)
        finally:
            self._release_claim(delivery.target_key)
        ATTEMPT_DURATION.labels(self._service).observe(finished.result.duration_ms / 1000)
        self._finished.put_nowait(finished)

    def _release_claim(self, target: str) -> None:
        self._claimed[target] -= 1
        left = self._claimed[target]
        if left <= 0:
            del self._claimed[target]
        if left in (0, self._limits.claims_per_target // 2):
            self._target_room.set()  # claim more for it before (or as) it runs out,
            self._wakeup.set()  # whatever the spacing after an empty claim

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        self._room.set()
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("delivery task failed", exc_info=error)  # its lease will expire

    async def _record(self) -> bool:
        """One batch of outcomes, committed together; kept to retry if the commit fails."""
        if not self._unrecorded:
            try:
                first = await asyncio.wait_for(self._finished.get(), RECORDER_TICK_SECONDS)
            except TimeoutError:
                return True
            if self._tasks:
                await asyncio.sleep(RECORD_LINGER_SECONDS)
            self._unrecorded = [first, *self._take_finished()]
        await self._record_now(self._unrecorded)
        self._unrecorded = []
        return True

    def _take_finished(self) -> list[FinishedAttempt | ClaimedDelivery]:
        taken: list[FinishedAttempt | ClaimedDelivery] = []
        while len(taken) < RECORD_BATCH and not self._finished.empty():
            taken.append(self._finished.get_nowait())
        return taken

    async def _record_now(self, batch: list[FinishedAttempt | ClaimedDelivery]) -> None:
        finished = [item for item in batch if isinstance(item, FinishedAttempt)]
        unsent = [item for item in batch if isinstance(item, ClaimedDelivery)]
        if not batch:
            return
        async with self._unit_of_work() as uow:
            recorded = await record_attempts(uow, finished, self._schedule, random.random)
            await release_deliveries(uow, unsent)
        if recorded.unblocked or unsent:
            self._wakeup.set()  # due now: the next event of a user, or a claim handed back
        for outcome in recorded.outcomes:
            DELIVERY_ATTEMPTS.labels(self._service, outcome.value).inc()
        for tenant_id, hook_id in recorded.disabled:
            HOOKS_DISABLED.labels(self._service).inc()
            log.warning(
                "hook disabled: failing for too long",
                tenant_id=str(tenant_id),
                hook_id=str(hook_id),
            )
        for tenant_id, hook_id in recorded.deleted:
            log.info(
                "hook deleted: the receiver answered 410 Gone",
                tenant_id=str(tenant_id),
                hook_id=str(hook_id),
            )
