"""Forget what is older than the retention: attempts, finished deliveries, events (but
the newest few of each event per tenant, which Zapier shows as samples)."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

from services.webhooks.db import history as history_db
from services.webhooks.usecases.list_samples import RECENT
from shared.unit_of_work import UnitOfWork

UnitsOfWork = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


async def purge_history(units: UnitsOfWork, retention: timedelta) -> int:
    """Each batch in its own transaction (no long lock); how many rows went."""
    before, removed = datetime.now(UTC) - retention, 0
    for step in range(history_db.PURGE_STEPS):
        while True:
            async with units() as uow:
                count = await history_db.purge_batch(uow.session, step, before, RECENT)
            removed += count
            if count < history_db.BATCH:
                break
    return removed
