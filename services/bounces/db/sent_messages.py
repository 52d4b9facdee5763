"""The index of messages the platform sent, and the lookups notices are matched with."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, Uuid, and_, any_, bindparam, delete, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.bounces.db.models import SentMessageRecord as Sent
from services.bounces.db.models import table_of
from services.bounces.domain.matching import SentMessage
from services.bounces.domain.notices import Notice

# Core columns (not the ORM's): the lookups every request makes skip the ORM's loading.
_SENT = table_of(Sent).c
_COLUMNS = (
    _SENT.tenant_id,
    _SENT.user_id,
    _SENT.invitation_id,
    _SENT.address,
    _SENT.message_id,
    _SENT.sent_at,
)


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


_UUIDS, _TEXTS = ARRAY(Uuid), ARRAY(Text)
_TENANTS = bindparam("tenants", type_=_UUIDS)
# One statement whatever the notices carry (empty arrays match nothing): prepared once.
_TAGGED_OR_IDENTIFIED = select(*_COLUMNS).where(
    or_(
        and_(
            _SENT.tenant_id == any_(_TENANTS),
            _SENT.invitation_id == any_(bindparam("invitations", type_=_UUIDS)),
        ),
        and_(
            _SENT.tenant_id == any_(_TENANTS),
            _SENT.user_id == any_(bindparam("users", type_=_UUIDS)),
        ),
        _SENT.message_id == any_(bindparam("message_ids", type_=_TEXTS)),
    )
)
_SENT_TO = select(*_COLUMNS).where(
    _SENT.address == any_(bindparam("addresses", type_=_TEXTS)),
    _SENT.sent_at >= bindparam("sent_from"),
    _SENT.sent_at <= bindparam("sent_until"),
)


async def tagged_or_identified(
    session: AsyncSession, notices: Sequence[Notice]
) -> list[SentMessage]:
    """The messages the notices' tags or Message-IDs may point at (a superset: the
    domain picks each notice's own)."""
    tags = [n.tags for n in notices]
    params = {
        "tenants": sorted({t.tenant_id for t in tags if t.tenant_id}),
        "invitations": sorted({t.invitation_id for t in tags if t.invitation_id}),
        "users": sorted({t.user_id for t in tags if t.user_id and not t.invitation_id}),
        "message_ids": sorted({n.message_id for n in notices if n.message_id}),
    }
    if not params["message_ids"] and not params["tenants"]:
        return []
    return [_message(row) for row in await session.execute(_TAGGED_OR_IDENTIFIED, params)]


async def sent_to(
    session: AsyncSession, addresses: Collection[str], sent_from: datetime, sent_until: datetime
) -> list[SentMessage]:
    """Messages sent to any of `addresses` within [sent_from, sent_until]."""
    if not addresses:
        return []
    params = {"addresses": sorted(addresses), "sent_from": sent_from, "sent_until": sent_until}
    return [_message(row) for row in await session.execute(_SENT_TO, params)]


async def purge(session: AsyncSession, sent_before: datetime) -> int:
    result = await session.execute(delete(Sent).where(Sent.sent_at < sent_before))
    return int(result.rowcount)  # type: ignore[attr-defined]
