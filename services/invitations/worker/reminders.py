"""The reminder planner: queues a reminder for links about to expire, and tidies up."""

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
        throttle_window: timedelta,
    ) -> None:
        self._db = db
        self._before = before
        self._throttle_window = throttle_window

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
