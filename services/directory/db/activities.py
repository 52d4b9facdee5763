import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db.models import Activity


def record_activity(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: str,
    *,
    actor_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    source_event_id: str | None = None,
) -> None:
    session.add(
        Activity(
            tenant_id=tenant_id,
            user_id=user_id,
            kind=kind,
            actor_id=actor_id,
            details=details or {},
            occurred_at=occurred_at or datetime.now(UTC),
            source_event_id=source_event_id,
        )
    )


async def recent_activities(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    limit: int,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> list[Activity]:
    query = select(Activity).where(Activity.tenant_id == tenant_id, Activity.user_id == user_id)
    if before is not None:
        query = query.where(tuple_(Activity.occurred_at, Activity.id) < tuple_(*before))
    query = query.order_by(Activity.occurred_at.desc(), Activity.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())
