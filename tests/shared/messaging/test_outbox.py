"""The transactional outbox on its own (a database with only the messaging tables): events
emitted in a unit of work while RabbitMQ is away wait in the outbox and are each published
once when it is back; events of a unit of work that failed are never published."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.contracts import CloudEvent, new_event
from shared.contracts.lms import LearningActivity
from shared.db import Database, asyncpg_dsn, sqlalchemy_dsn
from shared.messaging.outbox import OutboxRelay
from shared.messaging.publisher import EventPublisher
from shared.messaging.tables import OUTBOX_CHANNEL
from shared.unit_of_work import UnitOfWork, unit_of_work
from shared.wakeup import Wakeup
from shared.workers import Worker
from tests.support.bus import BusSpy
from tests.support.tcp_proxy import TcpProxy, proxy_to, through

ACTIVITY = "lms.activity.completed"


def activity_event() -> CloudEvent[LearningActivity]:
    data = LearningActivity(
        activity_id=uuid.uuid4().hex,
        user_id=uuid.uuid4(),
        title="Module 1",
        occurred_at="2026-01-01T00:00:00Z",
    )
    return new_event(ACTIVITY, source="/tests", tenant_id=uuid.uuid4(), data=data)


@pytest.fixture
async def broker_proxy(private_vhost: str) -> AsyncIterator[TcpProxy]:
    async with proxy_to(private_vhost) as proxy:
        yield proxy


@pytest.fixture
async def own_bus(private_vhost: str) -> AsyncIterator[BusSpy]:
    spy = await BusSpy(private_vhost).start()
    yield spy
    await spy.stop()


@pytest.fixture
async def database(messaging_db: str) -> AsyncIterator[Database]:
    db = Database(sqlalchemy_dsn(messaging_db))
    yield db
    await db.dispose()


@pytest.fixture
async def relay(
    database: Database, messaging_db: str, broker_proxy: TcpProxy, private_vhost: str
) -> AsyncIterator[Worker]:
    """The relay as a service runs it, publishing through the proxy the test can cut."""
    publisher = EventPublisher(through(broker_proxy, private_vhost), timeout_seconds=2)
    await publisher.connect()
    relay = OutboxRelay(database, publisher, service="test", batch_size=10)
    worker = relay.worker(Wakeup(asyncpg_dsn(messaging_db), OUTBOX_CHANNEL, poll_seconds=0.2))
    worker.start()
    yield worker
    await worker.stop(2)
    await publisher.stop()


async def emit_then_fail(database: Database, event: CloudEvent[LearningActivity]) -> None:
    async with unit_of_work(database, UnitOfWork) as uow:
        uow.emit(event)
        raise RuntimeError("the use case failed after emitting")


async def pending(messaging_db: str, ids: list[str]) -> int:
    connection = await asyncpg.connect(messaging_db)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL AND id = any($1::uuid[])",
            ids,
        )
        return count
    finally:
        await connection.close()


async def test_events_written_while_the_broker_is_away_are_each_published_once_it_is_back(
    database: Database,
    messaging_db: str,
    broker_proxy: TcpProxy,
    relay: Worker,
    own_bus: BusSpy,
) -> None:
    await broker_proxy.cut()
    emitted = [activity_event() for _ in range(25)]
    for start in range(0, len(emitted), 5):
        async with unit_of_work(database, UnitOfWork) as uow:
            uow.emit(*emitted[start : start + 5])
    with pytest.raises(RuntimeError, match="failed after emitting"):
        await emit_then_fail(database, activity_event())
    ids = [event.id for event in emitted]

    await asyncio.sleep(0.5)
    assert await pending(messaging_db, ids) == len(ids), "they wait in the outbox"
    assert own_bus.matching(ACTIVITY) == []

    await broker_proxy.restore()

    await own_bus.wait_for(ACTIVITY, within=30, count=len(ids))
    async with asyncio.timeout(10):  # seen on the bus before the relay records it
        while await pending(messaging_db, ids):
            await asyncio.sleep(0.05)
    published = [str(seen.message_id) for seen in own_bus.matching(ACTIVITY)]
    assert sorted(published) == sorted(ids), "each event once, the failed one never"
    assert [seen.body["id"] for seen in own_bus.matching(ACTIVITY)] == published
