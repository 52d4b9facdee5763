"""The sender: claims due deliveries, sends each in its own task, records the outcomes in
batches.

    dispatcher --claims--> one task per delivery --outcome--> recorder --commit--> wakeup

At most `concurrency` deliveries are in flight, and at most `per_target` to one receiving
server: a claim never takes more for a target than it has room for, and skips a target at
its limit, so a receiver that never answers holds its own slots and nobody else's.
Recording a batch wakes the dispatcher: it may have freed room, or the next event of a
user whose earlier one was just delivered.
"""

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta

from services.webhooks.adapters.http_delivery import WebhookSender
from services.webhooks.adapters.target_limits import TargetLimiter
from services.webhooks.domain.claims import ClaimedDelivery, FinishedAttempt
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
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork
from shared.wakeup import Wakeup
from shared.workers import Worker

log = get_logger(__name__)

UnitsOfWork = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
RECORD_BATCH = 500
RECORDER_TICK_SECONDS = 0.5  # how often an idle recorder checks whether it must stop


@dataclass(frozen=True)
class DeliveryLimits:
    concurrency: int
    per_target: int
    batch_size: int
    lease: timedelta


class DeliveryEngine:
    def __init__(
        self,
        *,
        service: str,
        units: UnitsOfWork,
        sender: WebhookSender,
        wakeup: Wakeup,
        schedule: RetrySchedule,
        limits: DeliveryLimits,
    ) -> None:
        self._service = service
        self._units = units
        self._sender = sender
        self._wakeup = wakeup
        self._schedule = schedule
        self._limits = limits
        self._limiter = TargetLimiter(limits.per_target)
        self._claimed: Counter[str] = Counter()  # per target: claimed, not yet sent
        self._tasks: dict[asyncio.Task[None], ClaimedDelivery] = {}
        self._room = asyncio.Event()
        self._finished: asyncio.Queue[FinishedAttempt] = asyncio.Queue()
        self._unrecorded: list[FinishedAttempt] = []
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
                async with self._units() as uow:
                    await release_deliveries(uow, abandoned)
        await self._sender.aclose()

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
        limit = min(room, self._limits.batch_size)
        async with self._units() as uow:
            claimed = await claim_deliveries(
                uow,
                limit=limit,
                per_target=self._limits.per_target,
                in_flight=dict(self._claimed),
                lease=self._limits.lease,
            )
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
                finished = await send_delivery(self._sender, delivery)
        finally:
            self._claimed[delivery.target_key] -= 1
            if self._claimed[delivery.target_key] <= 0:
                del self._claimed[delivery.target_key]
        ATTEMPT_DURATION.labels(self._service).observe(finished.result.duration_ms / 1000)
        self._finished.put_nowait(finished)

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
            self._unrecorded = [first, *self._take_finished()]
        await self._record_now(self._unrecorded)
        self._unrecorded = []
        self._wakeup.set()
        return True

    def _take_finished(self) -> list[FinishedAttempt]:
        taken: list[FinishedAttempt] = []
        while len(taken) < RECORD_BATCH and not self._finished.empty():
            taken.append(self._finished.get_nowait())
        return taken

    async def _record_now(self, batch: list[FinishedAttempt]) -> None:
        if not batch:
            return
        async with self._units() as uow:
            recorded = await record_attempts(uow, batch, self._schedule, random.random)
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
