"""Waiting, in a bench, until a service's outbox relay published what it stored."""

import asyncio

import asyncpg

PENDING = "SELECT count(*) FROM outbox WHERE published_at IS NULL"


async def outbox_drained(database_url: str, *, within_seconds: float = 300) -> None:
    """Until every event waiting in the outbox of `database_url` is published."""
    connection = await asyncpg.connect(database_url)
    try:
        async with asyncio.timeout(within_seconds):
            while await connection.fetchval(PENDING):  # noqa: ASYNC110 (another process's)
                await asyncio.sleep(0.1)
    finally:
        await connection.close()
