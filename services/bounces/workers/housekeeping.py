"""Once an hour, forget what is past its retention."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

from services.bounces.usecases.purge_expired import Retention, purge_expired
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork
from shared.workers import Worker, periodic

log = get_logger(__name__)

INTERVAL = timedelta(hours=1)


def housekeeping(
    unit_of_work: Callable[[], AbstractAsyncContextManager[UnitOfWork]],
    retention: Retention,
    *,
    service: str,
) -> Worker:
    async def purge() -> None:
        async with unit_of_work() as uow:
            removed = await purge_expired(uow, retention, datetime.now(UTC))
        if removed:
            log.info(
                "purged expired raw requests, notices, index entries and tokens", removed=removed
            )

    return Worker(
        "bounces-housekeeping",
        periodic(purge),
        service=service,
        idle_seconds=INTERVAL.total_seconds(),
    )
