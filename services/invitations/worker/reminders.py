"""The reminder planner: queues a reminder for links about to expire, and tidies up."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from services.invitations.db import deliveries as deliveries_db
from services.invitations.db import throttle as throttle_db
from shared.db import Database
from shared.logging import get_logger

log = get_logger(__name__)

PLAN_BATCH = 500


class ReminderPlanner:
    def __init__(
        self,
        db: Database,
        *,
        before: timedelta | None,
        every_seconds: float,
        throttle_window: timedelta,
    ) -> None:
        self._db = db
        self._before = before
        self._every = every_seconds
        self._throttle_window = throttle_window
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="reminder-planner")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("reminder planning failed")
            await asyncio.sleep(self._every)

    async def run_once(self, now: datetime | None = None) -> int:
        """Queue the reminders now due; returns how many."""
        now = now or datetime.now(UTC)
        async with self._db.transaction() as session:
            await throttle_db.purge_expired(session, now, self._throttle_window)
        if self._before is None:
            return 0
        planned = 0
        while True:
            async with self._db.transaction() as session:
                count = await deliveries_db.plan_reminders(session, now, self._before, PLAN_BATCH)
            planned += count
            if count < PLAN_BATCH:
                break
        if planned:
            log.info("reminders queued", count=planned)
        return planned
