"""Transaction-scoped advisory locks, for two flows that must not miss each other."""

from collections.abc import Collection

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# In a fixed order (sorted in the subquery), so two transactions locking overlapping sets
# never wait for each other in a circle. A hash collision only makes two unrelated keys
# wait for each other, briefly.
_LOCK = text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(key, 0)))"
    " FROM (SELECT unnest(CAST(:keys AS text[])) AS key ORDER BY 1) AS sorted"
)


async def lock(session: AsyncSession, keys: Collection[str]) -> None:
    """Held until the transaction ends; the next statement sees what the holder committed."""
    if keys:
        await session.execute(_LOCK, {"keys": sorted(keys)})
