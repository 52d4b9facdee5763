"""Work done on a clock: queueing reminders, forgetting spent submission counts."""

from datetime import UTC, datetime, timedelta

from services.invitations.usecases import UnitsOfWork
from services.invitations.usecases.forget_submissions import forget_old_submissions
from services.invitations.usecases.plan_reminders import plan_reminders
from shared.logging import get_logger
from shared.workers import Worker, periodic

log = get_logger(__name__)

PLAN_BATCH = 500


class ReminderPlanner:
    """Queues a reminder for each open invitation whose link expires within `before`,
    in batches of `PLAN_BATCH` (one transaction each)."""

    def __init__(
        self, units: UnitsOfWork, *, before: timedelta, every_seconds: float, service: str
    ) -> None:
        self._units = units
        self._before = before
        self.worker = Worker(
            "reminder-planner", periodic(self.run_once), service=service, idle_seconds=every_seconds
        )

    async def run_once(self) -> int:
        """Queue the reminders now due; returns how many."""
        now, planned = datetime.now(UTC), 0
        while True:
            async with self._units() as uow:
                count = await plan_reminders(uow, now, self._before, PLAN_BATCH)
            planned += count
            if count < PLAN_BATCH:
                break
        if planned:
            log.info("reminders queued", count=planned)
        return planned


def throttle_tidier(units: UnitsOfWork, window: timedelta, *, service: str) -> Worker:
    async def tidy() -> None:
        async with units() as uow:
            await forget_old_submissions(uow, datetime.now(UTC), window)

    return Worker(
        "throttle-tidier", periodic(tidy), service=service, idle_seconds=window.total_seconds()
    )
