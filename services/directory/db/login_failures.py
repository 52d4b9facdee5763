"""The failed-login buckets (domain/login_throttle.py), stored by the hash of their key."""

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db.models import LoginFailures
from services.directory.domain.login_throttle import ThrottleState


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


async def lock_and_read(session: AsyncSession, keys: Iterable[str]) -> dict[str, ThrottleState]:
    """Each bucket's failures, holding a lock on every bucket until the transaction ends
    (taken in one order, so parallel guesses are counted one after the other)."""
    hashes = {key_hash(key): key for key in keys}
    ordered = sorted(hashes)
    for each in ordered:
        lock_id = int.from_bytes(each[:8], "big", signed=True)
        await session.execute(select(func.pg_advisory_xact_lock(lock_id)))
    rows = await session.execute(select(LoginFailures).where(LoginFailures.key_hash.in_(ordered)))
    return {
        hashes[row.key_hash]: ThrottleState(row.failures, row.last_failure_at, row.blocked_until)
        for row in rows.scalars()
    }


async def save(session: AsyncSession, states: Mapping[str, ThrottleState]) -> None:
    rows = [
        {
            "key_hash": key_hash(key),
            "failures": state.failures,
            "last_failure_at": state.last_failure_at,
            "blocked_until": state.blocked_until,
        }
        for key, state in sorted(states.items())
    ]
    if not rows:
        return
    statement = insert(LoginFailures).values(rows)
    excluded = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["key_hash"],
            set_={
                "failures": excluded.failures,
                "last_failure_at": excluded.last_failure_at,
                "blocked_until": excluded.blocked_until,
            },
        )
    )


async def forget(session: AsyncSession, keys: Iterable[str]) -> None:
    hashes = [key_hash(key) for key in keys]
    if hashes:
        await session.execute(delete(LoginFailures).where(LoginFailures.key_hash.in_(hashes)))


async def purge(session: AsyncSession, now: datetime, last_failure_before: datetime) -> int:
    """Delete the buckets whose count would start over and that block nobody."""
    result = await session.execute(
        delete(LoginFailures)
        .where(
            LoginFailures.last_failure_at < last_failure_before,
            (LoginFailures.blocked_until.is_(None)) | (LoginFailures.blocked_until <= now),
        )
        .returning(LoginFailures.key_hash)
    )
    return len(result.all())
