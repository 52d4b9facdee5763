"""`republish`: every user's current snapshot sent again, batch after batch, with a progress
line (see usecases/republish_users.py)."""

import time
from collections.abc import Callable

from services.directory.usecases.republish_users import (
    republish_batch,
    republish_fields,
    tenants_to_republish,
)
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.db import Database
from shared.unit_of_work import unit_of_work

Say = Callable[[str], None]


async def republish(database_url: str, slug: str | None, batch_size: int, say: Say) -> int:
    """Writes every user's snapshot to the outbox (the running service's relay publishes
    them); the number of users."""
    db = Database(database_url)
    started, total = time.perf_counter(), 0
    try:
        async with unit_of_work(db, DirectoryUnitOfWork) as uow:
            tenants = await tenants_to_republish(uow, slug)
        for tenant_id in tenants:
            async with unit_of_work(db, DirectoryUnitOfWork) as uow:
                await republish_fields(uow, tenant_id)
            after = None
            while True:
                async with unit_of_work(db, DirectoryUnitOfWork) as uow:
                    batch = await republish_batch(uow, tenant_id, after, batch_size)
                total += batch.users
                rate = total / max(time.perf_counter() - started, 1e-6)
                say(f"\rrepublished {total} users ({rate:,.0f}/s)")
                if batch.last_id is None:
                    break
                after = batch.last_id
    finally:
        await db.dispose()
    return total
