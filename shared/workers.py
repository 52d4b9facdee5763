"""The one loop every background worker runs: do a pass, rest when idle, back off on errors,
stop cleanly.

    relay = Worker("outbox-relay", step=relay_once, wakeup=Wakeup(...), service="directory")
    relay.start()
    ...
    await relay.stop(grace_seconds=10)

`step` does one pass of work (one batch) and returns True when more work is probably
waiting (a full batch), so the loop goes on at once; otherwise it waits for its wakeup
(a LISTEN/NOTIFY channel with a poll fallback) or its interval. A failing pass is logged
once per run of failures (the rest are counted in `worker_failures`) and retried after a
growing pause. `stop` lets the current pass finish — a relay records the batch it
published, a sender the e-mail it sent — and cancels only what outlives the grace period.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from shared.logging import get_logger
from shared.metrics import WORKER_FAILURES
from shared.wakeup import Wakeup

log = get_logger(__name__)

Step = Callable[[], Awaitable[bool]]


class Background(Protocol):
    """What a service's runtime starts and stops with it: a `Worker`, or a group of them."""

    def start(self) -> None: ...

    async def stop(self, grace_seconds: float) -> None: ...


@dataclass(frozen=True)
class Backoff:
    first_seconds: float = 0.5
    max_seconds: float = 30.0

    def delay(self, failures: int) -> float:
        return float(min(self.max_seconds, self.first_seconds * 2 ** min(failures - 1, 16)))


class Worker:
    def __init__(
        self,
        name: str,
        step: Step,
        *,
        service: str,
        wakeup: Wakeup | None = None,
        idle_seconds: float = 1.0,
        backoff: Backoff = Backoff(),
    ) -> None:
        self.name = name
        self._step = step
        self._service = service
        self._wakeup = wakeup
        self._idle_seconds = idle_seconds
        self._backoff = backoff
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self) -> None:
        self._stopping.clear()
        if self._wakeup is not None:
            self._wakeup.acquire()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Finish the pass under way (within `grace_seconds`), then end."""
        if self._task is None:
            return
        self._stopping.set()
        if self._wakeup is not None:
            self._wakeup.set()
        await asyncio.wait([self._task], timeout=grace_seconds)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._wakeup is not None:
            await self._wakeup.release()

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                more = await self._step()
            except Exception as error:
                failures += 1
                self._failed(failures, error)
                await self._rest(self._backoff.delay(failures))
                continue
            if failures:
                log.info("worker recovered", worker=self.name, failed_passes=failures)
                failures = 0
            if not more:
                await self._idle()

    def _failed(self, failures: int, error: Exception) -> None:
        WORKER_FAILURES.labels(self._service, self.name).inc()
        if failures == 1:
            log.warning(
                "worker pass failed; retrying with backoff", worker=self.name, exc_info=error
            )

    async def _idle(self) -> None:
        if self._wakeup is not None:
            await self._wakeup.wait()
        else:
            await self._rest(self._idle_seconds)

    async def _rest(self, seconds: float) -> None:
        """Sleep, but wake at once when asked to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def periodic(action: Callable[[], Awaitable[object]]) -> Step:
    """A step for work done once per interval (housekeeping, planners): never "more"."""

    async def step() -> bool:
        await action()
        return False

    return step
