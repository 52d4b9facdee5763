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
    in_flight: Mapping[str, int],
    lease: timedelta,
) -> list[ClaimedDelivery]:
    now = datetime.now(UTC)
    return await deliveries_db.claim(
        uow.session,
        now=now,
        lease_until=now + lease,
        limit=limit,
        per_target=per_target,
        in_flight=in_flight,
    )


async def release_deliveries(uow: UnitOfWork, claims: list[ClaimedDelivery]) -> None:
    """Give back claims that will not be attempted (the process is stopping)."""
    await deliveries_db.release(uow.session, claims, datetime.now(UTC))
