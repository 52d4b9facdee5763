"""`republish`: every user's current snapshot sent again, batch after batch, with a progress
line (see usecases/republish_users.py)."""

import asyncio
import time
from collections.abc import Callable

from services.directory.usecases.republish_users import (
    Batch,
    read_batch,
    republish_fields,
    tenants_to_republish,
    write_batch,
)
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.db import Database
from shared.unit_of_work import unit_of_work

Say = Callable[[str], None]


async def republish(database_url: str, slug: str | None, batch_size: int, say: Say) -> int:
    """Writes every user's snapshot to the outbox (the running service's relay publishes
    them); the number of users. Pipelined: a batch is written while the next is read."""
    db = Database(database_url)
    started, total = time.perf_counter(), 0

    async def write(batch: Batch) -> None:
        nonlocal total
        async with unit_of_work(db, DirectoryUnitOfWork) as uow:
            write_batch(uow, batch)
        total += batch.users
        rate = total / max(time.perf_counter() - started, 1e-6)
        say(f"\rrepublished {total} users ({rate:,.0f}/s)")

    try:
        async with unit_of_work(db, DirectoryUnitOfWork) as uow:
            tenants = await tenants_to_republish(uow, slug)
        for tenant_id in tenants:
            async with unit_of_work(db, DirectoryUnitOfWork) as uow:
                await republish_fields(uow, tenant_id)
            after, writing = None, None
            while True:
                async with unit_of_work(db, DirectoryUnitOfWork) as uow:
                    batch = await read_batch(uow, tenant_id, after, batch_size)
                if writing is not None:
                    await writing
                writing = asyncio.create_task(write(batch))
                if batch.last_id is None:
                    break
                after = batch.last_id
            await writing
    finally:
        await db.dispose()
    return total
