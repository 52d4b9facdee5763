"""What is past its retention is forgotten: raw requests and their notices, index entries,
Mailgun tokens; what is not stays."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from services.bounces.usecases.purge_expired import Retention, purge_expired
from shared.db import Database
from shared.unit_of_work import UnitOfWork, unit_of_work
from tests.support.bounces import BouncesStack

RETENTION = Retention(
    raw_events=timedelta(days=90), sent_messages=timedelta(days=180), tokens=timedelta(minutes=10)
)


async def _seed(sql: asyncpg.Pool, age: timedelta) -> dict[str, str]:
    """One row of each kind, `age` old; returns their keys."""
    at = datetime.now(UTC) - age
    keys = {"raw": str(uuid.uuid4()), "notice": uuid.uuid4().hex, "message": f"<{uuid.uuid4()}@x>"}
    keys["token"] = uuid.uuid4().hex
    await sql.execute(
        "INSERT INTO raw_events (id, provider, received_at, headers, body, outcome)"
        " VALUES ($1, 'generic', $2, '{}', '', 'ignored')",
        uuid.UUID(keys["raw"]),
        at,
    )
    await sql.execute(
        "INSERT INTO notices (provider, provider_event_id, type, recipient, occurred_at, status,"
        " received_at) VALUES ('generic', $1, 'delivered', 'old@example.com', $2, 'unmatched', $2)",
        keys["notice"],
        at,
    )
    await sql.execute(
        "INSERT INTO sent_messages (tenant_id, message_id, user_id, address, sent_at, is_reminder)"
        " VALUES ($1, $2, $1, 'old@example.com', $3, false)",
        uuid.uuid4(),
        keys["message"],
        at,
    )
    await sql.execute(
        "INSERT INTO mailgun_tokens (token, seen_at) VALUES ($1, $2)", keys["token"], at
    )
    return keys


async def _present(sql: asyncpg.Pool, keys: dict[str, str]) -> list[bool]:
    return [
        bool(await sql.fetchval("SELECT 1 FROM raw_events WHERE id = $1", uuid.UUID(keys["raw"]))),
        bool(
            await sql.fetchval("SELECT 1 FROM notices WHERE provider_event_id = $1", keys["notice"])
        ),
        bool(
            await sql.fetchval("SELECT 1 FROM sent_messages WHERE message_id = $1", keys["message"])
        ),
        bool(await sql.fetchval("SELECT 1 FROM mailgun_tokens WHERE token = $1", keys["token"])),
    ]


async def test_what_is_past_its_retention_is_purged(
    bounces_stack: BouncesStack, sql: asyncpg.Pool
) -> None:
    ancient = await _seed(sql, timedelta(days=200))
    middling = await _seed(sql, timedelta(days=100))  # past 90 days, within 180
    recent = await _seed(sql, timedelta(minutes=1))
    db = Database(bounces_stack.settings.sqlalchemy_url, pool_size=1, max_overflow=0)
    try:
        async with unit_of_work(db, UnitOfWork) as uow:
            removed = await purge_expired(uow, RETENTION, datetime.now(UTC))
    finally:
        await db.dispose()
    assert removed >= 7
    assert await _present(sql, ancient) == [False, False, False, False]
    assert await _present(sql, middling) == [False, False, True, False]
    assert await _present(sql, recent) == [True, True, True, True]
