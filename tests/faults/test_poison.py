"""Poison messages of every kind reach the directory among good ones: each is parked on
its first delivery with the reason, the good ones keep flowing; a passing database
failure (its connections cut mid-message) is retried and then succeeds."""

import urllib.parse
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import aiormq
import asyncpg
import pytest
from aiormq.abc import ChannelFrame, FrameType
from pamqp import commands
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from shared.contracts import CONTENT_TYPE, CloudEvent, new_event
from tests.faults.conftest import tenant_on
from tests.faults.proxy import FaultProxy
from tests.faults.support import (
    ServiceProcess,
    count,
    directory_env,
    new_service,
    report,
    running,
    wait_until,
)
from tests.support.bus import DeadLetters, EventPublisher

QUEUE = "directory.lms"
GOOD_BETWEEN = 20  # good messages after each poison one
ACTIVITIES = "SELECT count(*) FROM activities WHERE kind LIKE 'lms.activity.%'"


@pytest.fixture
async def database_proxy(directory_database: str) -> AsyncIterator[FaultProxy]:
    parts = urllib.parse.urlsplit(directory_database)
    proxy = await FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5432).start()
    yield proxy
    await proxy.stop()


@pytest.fixture
def directory_behind_proxies(
    directory_database: str,
    database_proxy: FaultProxy,
    private_vhost: str,
    tmp_path: Path,
) -> ServiceProcess:
    database = database_proxy.url_for(directory_database)
    return new_service(
        "directory", lambda port: directory_env(database, private_vhost, port), tmp_path
    )


def activity(user_id: uuid.UUID | str, n: int | str, **changes: Any) -> dict[str, Any]:
    return {
        "activity_id": f"good-{n}",
        "user_id": str(user_id),
        "title": f"Lesson {n}",
        "occurred_at": datetime.now(UTC).isoformat(),
        **changes,
    }


@dataclass
class PoisonMessage:
    kind: str
    reason: str  # words the x-error header must hold
    message_id: str
    send: Callable[[], Awaitable[Any]]


def poison_messages(
    events: EventPublisher,
    channel: aio_pika.abc.AbstractChannel,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
) -> list[PoisonMessage]:
    """One message of each kind that can never be applied."""

    def raw(kind: str, body: bytes, reason: str, message_id: str | None = None) -> PoisonMessage:
        message_id = message_id or str(uuid.uuid4())
        return PoisonMessage(kind, reason, message_id, lambda: to_queue(channel, body, message_id))

    def event(kind: str, event_type: str, data: dict[str, Any], reason: str) -> PoisonMessage:
        message_id = str(uuid.uuid4())
        return PoisonMessage(
            kind,
            reason,
            message_id,
            lambda: events.publish(event_type, tenant_id, data, event_id=message_id),
        )

    unknown: CloudEvent[dict[str, Any]] = new_event(
        "lms.unknown.thing", source="/lms", tenant_id=tenant_id, data={}
    )
    return [
        raw("not JSON", b"this is not json {", "not a valid CloudEvent"),
        raw("not a CloudEvent", b'{"specversion": "1.0", "id": 7}', "not a valid CloudEvent"),
        raw("unknown type", unknown.model_dump_json().encode(), "no handler", unknown.id),
        event(
            "contract broken",
            "lms.activity.viewed",
            activity(user_id, "x", activity_id=""),
            "breaks its contract",
        ),
        event(
            "NUL that jsonb refuses",
            "lms.activity.viewed",
            activity(user_id, "nul", title="Lesson\u0000one"),
            "Unicode",
        ),
        event(
            "longer than its column",
            "lms.activity." + "x" * 120,
            activity(user_id, "long"),
            "too long",
        ),
        event(
            "domain refusal (unknown user)",
            "lms.activity.viewed",
            activity(uuid.uuid4(), "ghost"),
            "no user",
        ),
    ]


async def to_queue(channel: aio_pika.abc.AbstractChannel, body: bytes, message_id: str) -> None:
    """Straight into the directory's queue: bodies no other listener should have to read."""
    await channel.default_exchange.publish(
        aio_pika.Message(body, message_id=message_id, content_type=CONTENT_TYPE),
        routing_key=QUEUE,
    )


async def test_poison_is_parked_at_once_and_good_messages_keep_flowing(
    directory_behind_proxies: ServiceProcess,
    database_proxy: FaultProxy,
    directory_database: str,
    private_vhost: str,
) -> None:
    directory = directory_behind_proxies
    async with running(directory):
        await directory.healthy()
        await directory.broker_connected()
        tenant = await tenant_on(directory, private_vhost)
        events = await EventPublisher(private_vhost).start()
        connection = await aio_pika.connect(private_vhost)
        dead_letters = await DeadLetters(private_vhost, [QUEUE]).start()
        try:
            parked, good = await _send_poison_among_good(
                events, await connection.channel(), dead_letters, tenant.id, tenant.admin_id
            )
            anonymous = await _poison_without_message_id(await connection.channel(), dead_letters)
            # The good ones flowed past the poison; and none is left to take the place of
            # the message the next step makes wait on a lock.
            await wait_until(
                lambda: _recorded(directory_database, good), 30, "every good message applied"
            )
            transient = await _transient_database_failure(
                events, database_proxy, directory_database, tenant.id, tenant.admin_id
            )
        finally:
            await dead_letters.stop()
            await connection.close()
            await events.stop()
        traced = directory.lines_with("will retry", "parked in dead-letter")
        retried = [line for line in traced if line.get("event_id") == transient]
        report(
            "poison messages",
            poison_kinds=len(parked),
            parked_at_first_delivery=sum(p["x-attempts"] == 1 for p in parked.values()),
            reasons={kind: headers["x-error-type"] for kind, headers in parked.items()},
            good_applied=await count(directory_database, ACTIVITIES),
            good_sent=good + 1,
            db_connections_cut=database_proxy.counts.cut,
            retries_before_success=len(retried),
            retry_and_park_lines=len(traced),
            lines_without_event_id=sum("event_id" not in line for line in traced),
            anonymous_parked_as=anonymous,
        )
        for kind, headers in parked.items():
            assert headers["x-attempts"] == 1, (kind, headers)
        assert await count(directory_database, ACTIVITIES) == good + 1
        assert retried, "the message whose connection was cut was retried"
        assert all("will retry" in line["event"] for line in retried), "retried, not parked"
        assert traced
        assert all("event_id" in line for line in traced)
        parked_lines = directory.lines_with("parked in dead-letter")
        assert anonymous in {line["event_id"] for line in parked_lines}
        assert anonymous.startswith("sha256:"), "derived from the body, not a random id"


async def _send_poison_among_good(
    events: EventPublisher,
    channel: aio_pika.abc.AbstractChannel,
    dead_letters: DeadLetters,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
) -> tuple[dict[str, dict[str, Any]], int]:
    """Each kind of poison followed by good messages; returns the parked headers by
    message id, and how many good messages were sent."""
    poison = poison_messages(events, channel, tenant_id, user_id)
    good = 0
    for message in poison:
        await message.send()
        for _ in range(GOOD_BETWEEN):
            await events.publish("lms.activity.viewed", tenant_id, activity(user_id, good))
            good += 1
    parked: dict[str, dict[str, Any]] = {}
    for message in poison:
        found = await dead_letters.wait_for(message.message_id, within=30)
        error = str(found.headers["x-error"])
        assert message.reason in error, f"{message.kind}: {error}"
        assert found.headers["x-error-type"], message.kind
        parked[message.kind] = found.headers
    return parked, good


async def _poison_without_message_id(
    channel: aio_pika.abc.AbstractChannel, dead_letters: DeadLetters
) -> str:
    """A message with no id at all is parked under an id derived from its body, the one
    its log lines carry (so the same on every delivery)."""
    before = len(dead_letters.parked)
    await publish_without_message_id(channel, b"no id, no json", QUEUE)
    await wait_until(lambda: len(dead_letters.parked) > before, 30, "the anonymous message parked")
    found = dead_letters.parked[-1]
    assert found.body == b"no id, no json"
    assert found.message_id, "the parked copy has a message id"
    assert found.headers["x-attempts"] == 1
    return found.message_id


async def publish_without_message_id(
    channel: aio_pika.abc.AbstractChannel, body: bytes, queue: str
) -> None:
    """As a publisher in another language may: aio-pika (aiormq) gives every message it
    publishes a random id, so the frames are written here, without one."""
    underlay = await channel.get_underlay_channel()
    assert isinstance(underlay, aiormq.Channel)
    frames: list[FrameType | ContentBody] = [
        commands.Basic.Publish(exchange="", routing_key=queue),
        ContentHeader(0, len(body), commands.Basic.Properties(content_type=CONTENT_TYPE)),
        ContentBody(body),
    ]
    await underlay.write_queue.put(ChannelFrame.marshall(underlay.number, frames))


async def _transient_database_failure(
    events: EventPublisher,
    database_proxy: FaultProxy,
    database: str,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
) -> str:
    """Hold the user's row so the consumer waits on it, cut its database connections,
    let go: the message fails on a lost connection, is retried, and is applied once.
    Returns the event's id."""
    holder = await asyncpg.connect(database)
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", user_id)
        event_id = str(uuid.uuid4())
        data = activity(user_id, "transient")
        await events.publish("lms.activity.viewed", tenant_id, data, event_id=event_id)
        await wait_until(lambda: _waiting_on_lock(holder), 30, "the consumer waiting on the row")
        await database_proxy.cut()
        await transaction.rollback()
    finally:
        await holder.close()
    applied = "SELECT count(*) FROM activities WHERE source_event_id = 'good-transient'"
    await wait_until(lambda: count(database, applied), 30, "the retried message applied")
    return event_id


async def _waiting_on_lock(holder: asyncpg.Connection) -> bool:
    waiting = await holder.fetchval(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return bool(waiting)


async def _recorded(database: str, wanted: int) -> bool:
    return await count(database, ACTIVITIES) >= wanted
