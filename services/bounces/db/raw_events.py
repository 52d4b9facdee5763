"""Raw requests: stored as received, read back in order by `replay`.

The statements every request runs are built once (`_STORE`): measured, building an ORM
`insert(...).values(...)` per call cost 515 µs of CPU against 165 µs for a prebuilt Core
statement given its parameters."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.bounces.db.models import RawEvent, table_of
from services.bounces.domain.notices import Provider
from services.bounces.domain.records import RawOutcome

_STORE = insert(table_of(RawEvent))


@dataclass(frozen=True)
class StoredRequest:
    id: uuid.UUID
    provider: Provider
    received_at: datetime
    body: bytes
    outcome: RawOutcome


@dataclass(frozen=True)
class RawRequest:
    """A request as it is stored."""

    id: uuid.UUID
    provider: Provider
    received_at: datetime
    headers: Mapping[str, str]
    body: bytes
    outcome: RawOutcome
    detail: str | None = None

    def values(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider.value,
            "received_at": self.received_at,
            "headers": dict(self.headers),
            "body": self.body,
            "outcome": self.outcome.value,
            "detail": self.detail,
        }


async def store(session: AsyncSession, request: RawRequest) -> None:
    """A request alone (one with notices is stored with them: `notices.insert_new`)."""
    await session.execute(_STORE, request.values())


async def page(
    session: AsyncSession,
    after: tuple[datetime, uuid.UUID],
    until: datetime | None,
    limit: int,
) -> list[StoredRequest]:
    """The next `limit` requests received after `after` (received_at, id), oldest first."""
    query = (
        select(
            RawEvent.id, RawEvent.provider, RawEvent.received_at, RawEvent.body, RawEvent.outcome
        )
        .where(tuple_(RawEvent.received_at, RawEvent.id) > tuple_(*after))
        .order_by(RawEvent.received_at, RawEvent.id)
        .limit(limit)
    )
    if until is not None:
        query = query.where(RawEvent.received_at < until)
    rows = (await session.execute(query)).all()
    return [
        StoredRequest(
            row.id, Provider(row.provider), row.received_at, row.body, RawOutcome(row.outcome)
        )
        for row in rows
    ]


async def set_outcome(
    session: AsyncSession, raw_id: uuid.UUID, outcome: RawOutcome, detail: str | None
) -> None:
    await session.execute(
        update(RawEvent).where(RawEvent.id == raw_id).values(outcome=outcome.value, detail=detail)
    )


async def purge(session: AsyncSession, received_before: datetime) -> int:
    result = await session.execute(delete(RawEvent).where(RawEvent.received_at < received_before))
    return int(result.rowcount)  # type: ignore[attr-defined]
