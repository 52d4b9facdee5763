"""Purges old attempts, finished deliveries and events, once an hour."""

from datetime import timedelta

from services.webhooks.usecases.purge_history import UnitsOfWork, purge_history
from shared.logging import get_logger
from shared.workers import Worker, periodic

log = get_logger(__name__)

PURGE_INTERVAL = timedelta(hours=1)


def history_purger(service: str, units: UnitsOfWork, retention: timedelta) -> Worker:
    async def purge() -> None:
        removed = await purge_history(units, retention)
        if removed:
            log.info("purged old webhook history", removed=removed)

    return Worker(
        "webhook-history",
        periodic(purge),
        service=service,
        idle_seconds=PURGE_INTERVAL.total_seconds(),
    )
