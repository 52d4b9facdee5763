"""Replicas of a service starting at the same moment, on a broker that has never seen its
queues (a first deployment, a new queue): every replica consumes from every queue at its
first try, and none has its broker connection closed on it (RabbitMQ's `noproc` when a
consumer comes while another connection is still creating the quorum queue)."""

import asyncio
import logging
import uuid
from pathlib import Path

import pytest
from pydantic import BaseModel

from shared.contracts.commands import CommandRoute
from shared.db import sqlalchemy_dsn
from shared.messaging.commands import answer_commands
from shared.messaging.topology import ConsumerQueue
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings
from shared.unit_of_work import UnitOfWork
from tests.support.bus import consumers

REPLICAS = 3
ROUNDS = 10
EVENT_QUEUES = 2
COMMAND_QUEUES = 6
MIGRATIONS = Path(__file__).parents[2] / "services" / "bounces" / "migrations"


class Ping(BaseModel):
    failure: None = None


async def _nothing(uow: UnitOfWork, event: object) -> None:
    return None


async def _pong(command: Ping) -> Ping:
    return command


def replica(amqp_url: str, database_url: str, prefix: str) -> ServiceRuntime:
    settings = ServiceSettings(database_url=sqlalchemy_dsn(database_url), amqp_url=amqp_url)
    queues = {
        ConsumerQueue(f"{prefix}.events-{n}", (f"{prefix}.event-{n}",)): {
            f"{prefix}.event-{n}": _nothing
        }
        for n in range(EVENT_QUEUES)
    }
    runtime = ServiceRuntime("replica", settings, queues, migrations=MIGRATIONS)
    for n in range(COMMAND_QUEUES):
        answer_commands(runtime.broker, CommandRoute(f"{prefix}.commands-{n}", Ping, Ping), _pong)
    return runtime


async def test_replicas_starting_together_each_consume_at_the_first_try(
    private_vhost: str, messaging_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for _ in range(ROUNDS):
        prefix = f"start-{uuid.uuid4().hex[:8]}"
        runtimes = [replica(private_vhost, messaging_db, prefix) for _ in range(REPLICAS)]
        try:
            await asyncio.gather(*(runtime.start() for runtime in runtimes))
            async with asyncio.timeout(30):
                while not all([await runtime.broker_connected() for runtime in runtimes]):
                    await asyncio.sleep(0.05)
            queues = [f"{prefix}.events-{n}" for n in range(EVENT_QUEUES)]
            queues += [f"{prefix}.commands-{n}" for n in range(COMMAND_QUEUES)]
            for queue in queues:
                assert await consumers(private_vhost, queue) == REPLICAS, queue
        finally:
            await asyncio.gather(*(runtime.stop() for runtime in runtimes))
    closed = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert closed == [], "no replica's broker connection was closed or retried"
