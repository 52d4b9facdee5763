"""The index of messages the platform sent, and the lookups notices are matched with."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, any_, cast, delete, false, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.bounces.db.models import SentMessageRecord as Sent
from services.bounces.domain.matching import SentMessage
from services.bounces.domain.notices import Notice
from shared.db import uuid_array

_COLUMNS = (Sent.tenant_id, Sent.user_id, Sent.invitation_id, Sent.address, Sent.message_id)


def _texts(values: Collection[str]) -> Any:
    return cast(sorted(values), ARRAY(Text))


def _message(row: Any) -> SentMessage:
    return SentMessage(
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        invitation_id=row.invitation_id,
        address=row.address,
        message_id=row.message_id,
        sent_at=row.sent_at,
    )


async def record(session: AsyncSession, message: SentMessage, *, is_reminder: bool) -> bool:
    """False when the message was already in the index."""
    result = await session.execute(
        insert(Sent)
        .values(
            tenant_id=message.tenant_id,
            message_id=message.message_id,
            user_id=message.user_id,
            invitation_id=message.invitation_id,
            address=message.address,
            sent_at=message.sent_at,
            is_reminder=is_reminder,
        )
        .on_conflict_do_nothing()
        .returning(Sent.message_id)
    )
    return result.first() is not None


async def tagged_or_identified(
    session: AsyncSession, notices: Sequence[Notice]
) -> list[SentMessage]:
    """The messages the notices' tags or Message-IDs may point at (a superset: the
    domain picks each notice's own)."""
    tenants = {n.tags.tenant_id for n in notices if n.tags.tenant_id}
    invitations = {n.tags.invitation_id for n in notices if n.tags.invitation_id}
    users = {n.tags.user_id for n in notices if n.tags.user_id and not n.tags.invitation_id}
    message_ids = {n.message_id for n in notices if n.message_id}
    conditions = []
    if tenants and invitations:
        conditions.append(
            and_(
                Sent.tenant_id == any_(uuid_array(sorted(tenants))),
                Sent.invitation_id == any_(uuid_array(sorted(invitations))),
            )
        )
    if tenants and users:
        conditions.append(
            and_(
                Sent.tenant_id == any_(uuid_array(sorted(tenants))),
                Sent.user_id == any_(uuid_array(sorted(users))),
            )
        )
    if message_ids:
        conditions.append(Sent.message_id == any_(_texts(message_ids)))
    if not conditions:
        return []
    rows = await session.execute(select(*_COLUMNS, Sent.sent_at).where(or_(false(), *conditions)))
    return [_message(row) for row in rows]


async def sent_to(
    session: AsyncSession, addresses: Collection[str], sent_from: datetime, sent_until: datetime
) -> list[SentMessage]:
    """Messages sent to any of `addresses` within [sent_from, sent_until]."""
    if not addresses:
        return []
    rows = await session.execute(
        select(*_COLUMNS, Sent.sent_at).where(
            Sent.address == any_(_texts(addresses)),
            Sent.sent_at >= sent_from,
            Sent.sent_at <= sent_until,
        )
    )
    return [_message(row) for row in rows]


async def purge(session: AsyncSession, sent_before: datetime) -> int:
    result = await session.execute(delete(Sent).where(Sent.sent_at < sent_before))
    return int(result.rowcount)  # type: ignore[attr-defined]
