"""A sender takes the deliveries that are due, as many as it has room for."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from services.webhooks.db import deliveries as deliveries_db
from services.webhooks.domain.claims import ClaimedDelivery
from shared.unit_of_work import UnitOfWork


async def claim_deliveries(
    uow: UnitOfWork,
    *,
    limit: int,
    per_target: int,
    held: Mapping[str, int],
    lease: timedelta,
) -> list[ClaimedDelivery]:
    """At most `limit`, and per target at most `per_target` claims minus those `held`."""
    now = datetime.now(UTC)
    return await deliveries_db.claim(
        uow.session,
        now=now,
        lease_until=now + lease,
        limit=limit,
        per_target=per_target,
        held=held,
    )


async def release_deliveries(uow: UnitOfWork, claims: list[ClaimedDelivery]) -> None:
    """Give back claims that will not be attempted (the process is stopping)."""
    await deliveries_db.release(uow.session, claims, datetime.now(UTC))
