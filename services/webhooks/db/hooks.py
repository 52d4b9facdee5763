"""Subscriptions (hooks): created and listed through the API, their health kept by the
senders."""

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.db.models import Hook
from services.webhooks.domain.outcomes import HookHealth
from services.webhooks.domain.states import HookState

HookKey = tuple[uuid.UUID, uuid.UUID]  # (tenant_id, id)


async def count_hooks(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(Hook).where(Hook.tenant_id == tenant_id)
    return int(await session.scalar(query) or 0)


async def add_hook(session: AsyncSession, hook: Hook) -> Hook:
    session.add(hook)
    await session.flush()
    await session.refresh(hook, ["created_at"])
    return hook


async def list_hooks(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[Hook]:
    query = select(Hook).where(Hook.tenant_id == tenant_id).order_by(Hook.created_at, Hook.id)
    return (await session.scalars(query)).all()


async def find_hook(
    session: AsyncSession, tenant_id: uuid.UUID, hook_id: uuid.UUID, *, for_update: bool = False
) -> Hook | None:
    query = select(Hook).where(Hook.tenant_id == tenant_id, Hook.id == hook_id)
    if for_update:
        query = query.with_for_update(key_share=True)
    return (await session.scalars(query)).first()


async def delete_hook(session: AsyncSession, tenant_id: uuid.UUID, hook_id: uuid.UUID) -> bool:
    """Delete the hook with its queued deliveries and attempts; False if there was none."""
    result = await session.execute(
        delete(Hook).where(Hook.tenant_id == tenant_id, Hook.id == hook_id).returning(Hook.id)
    )
    return result.first() is not None


async def enable(session: AsyncSession, hook: Hook) -> Hook:
    hook.state = HookState.ACTIVE
    hook.failing_since = None
    hook.disabled_at = None
    await session.flush()
    return hook


async def disable_made_with_key(
    session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID, now: datetime, reason: str
) -> list[uuid.UUID]:
    result = await session.execute(
        update(Hook)
        .where(
            Hook.tenant_id == tenant_id,
            Hook.api_key_id == key_id,
            Hook.state == HookState.ACTIVE,
        )
        .values(state=HookState.DISABLED, disabled_at=now, last_error=reason)
        .returning(Hook.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


async def read_health(
    session: AsyncSession, keys: Collection[HookKey], *, lock: bool = False
) -> dict[HookKey, HookHealth]:
    """The health of these hooks (those deleted meanwhile are absent). With `lock`, the
    rows are locked in key order, so two senders recording at once wait for each other
    instead of deadlocking; FOR NO KEY UPDATE, so a consumer queueing deliveries for the
    same hooks (its foreign keys take FOR KEY SHARE) is not blocked either."""
    if not keys:
        return {}
    query = (
        select(Hook.tenant_id, Hook.id, Hook.failing_since, Hook.last_status, Hook.last_error)
        .where(tuple_(Hook.tenant_id, Hook.id).in_(sorted(keys)))
        .order_by(Hook.tenant_id, Hook.id)
    )
    if lock:
        query = query.with_for_update(key_share=True)
    rows = (await session.execute(query)).all()
    return {
        (row.tenant_id, row.id): HookHealth(row.failing_since, row.last_status, row.last_error)
        for row in rows
    }


async def save_health(session: AsyncSession, health: Mapping[HookKey, HookHealth]) -> None:
    if not health:
        return
    await session.execute(
        update(Hook),
        [
            {
                "tenant_id": tenant,
                "id": id_,
                "failing_since": h.failing_since,
                "last_status": h.last_status,
                "last_error": h.last_error,
            }
            for (tenant, id_), h in health.items()
        ],
    )


async def disable_hooks(
    session: AsyncSession, keys: Collection[HookKey], now: datetime
) -> set[HookKey]:
    """Disable those still active; the ones it disabled."""
    if not keys:
        return set()
    result = await session.execute(
        update(Hook)
        .where(tuple_(Hook.tenant_id, Hook.id).in_(list(keys)), Hook.state == HookState.ACTIVE)
        .values(state=HookState.DISABLED, disabled_at=now)
        .returning(Hook.tenant_id, Hook.id)
        .execution_options(synchronize_session=False)
    )
    return {(row.tenant_id, row.id) for row in result}


async def delete_hooks(session: AsyncSession, keys: Collection[HookKey]) -> None:
    if keys:
        await session.execute(delete(Hook).where(tuple_(Hook.tenant_id, Hook.id).in_(list(keys))))
