"""The suppression list: addresses (per tenant) that hard-bounced or complained."""

import uuid
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.db.models import Suppression
from services.invitations.domain.addresses import normalize_email
from services.invitations.domain.suppression import SuppressionCause


async def suppress(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    email: str,
    cause: SuppressionCause,
    detail: str,
    since: datetime,
) -> None:
    """Add the address; an address already listed keeps its first cause and date."""
    await session.execute(
        insert(Suppression)
        .values(
            tenant_id=tenant_id,
            email_normalized=normalize_email(email),
            cause=cause,
            detail=detail[:1000],
            since=since,
        )
        .on_conflict_do_nothing()
    )
