"""Transaction-scoped advisory locks on what addresses look like, so that two look-alike
addresses written at the same time can't both pass the look-alike check (issue 9.6): the
check reads committed users, then the insert follows, and a check-then-insert of two
transactions would each miss the other. The skeleton index is not unique (a tenant may
already hold look-alike pairs, and a new address is compared by two skeletons).

A single write (invitation, e-mail change) holds its tenant's key shared, then each of its
skeletons' keys exclusively; a batch of many (an import's) holds its tenant's key
exclusively: one lock, however many rows, and no invitation of the tenant runs beside it.
Keys are taken in one order (the tenant's first, then sorted), so two holders never wait
for each other in a circle; a hash collision only makes unrelated writes wait briefly.
Held until the transaction ends: the check that follows sees what the previous holder
committed (READ COMMITTED takes a new snapshot per statement)."""

import uuid
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_TENANT_SHARED = text("SELECT pg_advisory_xact_lock_shared(hashtextextended(:key, 0))")
_TENANT_ALONE = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
_SKELETONS = text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(key, 0)))"
    " FROM (SELECT unnest(CAST(:keys AS text[])) AS key ORDER BY 1) AS sorted"
)


def _tenant_key(tenant_id: uuid.UUID) -> str:
    return f"directory.addresses:{tenant_id}"


async def hold_skeletons(
    session: AsyncSession, tenant_id: uuid.UUID, skeletons: Iterable[str]
) -> None:
    """Before checking and writing one address with these skeletons."""
    await session.execute(_TENANT_SHARED, {"key": _tenant_key(tenant_id)})
    keys = sorted({f"directory.address:{tenant_id}:{skeleton}" for skeleton in skeletons})
    await session.execute(_SKELETONS, {"keys": keys})


async def hold_all_addresses(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Before checking and writing a batch of addresses (an import's)."""
    await session.execute(_TENANT_ALONE, {"key": _tenant_key(tenant_id)})
