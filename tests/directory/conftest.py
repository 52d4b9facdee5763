"""What only the directory's tests need, on top of the root fixtures: a tenant seen from the
rest of the platform (`lms`), the directory's dead-letter queues, a non-admin role, a
SQLAlchemy session on its database (`session`, one transaction) for its statements' tests,
a broker connection to send it commands as other services do (`broker`)."""

from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from services.directory.handlers import QUEUES
from shared.db import sqlalchemy_dsn
from shared.messaging.commands import CommandClient
from tests.support.bus import BusSpy, DeadLetters, EventPublisher
from tests.support.directory import Lms, Tenant
from tests.support.servers import RunningServer

MANAGER_ROLE = "manager"


@pytest.fixture(scope="module")
async def commands(amqp_url: str) -> AsyncIterator[CommandClient]:
    """Commands to the directory, sent as the webhooks service sends them."""
    client = CommandClient(amqp_url)
    yield client
    await client.stop(1.0)


@pytest.fixture
def lms(tenant: Tenant, bus: BusSpy, events: EventPublisher, amqp_url: str) -> Lms:
    return Lms(tenant, bus, events, amqp_url)


@pytest.fixture
async def session(directory_db: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(sqlalchemy_dsn(directory_db))
    async with async_sessionmaker(engine)() as session, session.begin():
        yield session
    await engine.dispose()


@pytest.fixture(scope="session")
async def dead_letters(directory: RunningServer, amqp_url: str) -> AsyncIterator[DeadLetters]:
    """Everything the directory parks; started once its queues exist."""
    watcher = await DeadLetters(amqp_url, list(QUEUES)).start()
    yield watcher
    await watcher.stop()


@pytest.fixture(scope="session")
async def manager_role(directory_sql: asyncpg.Pool) -> str:
    """A non-administrative role that may still edit, deactivate and assign roles."""
    await directory_sql.execute(
        "INSERT INTO roles (key, is_admin, permissions, label_fr, label_en) "
        "VALUES ($1, false, $2, 'Gestionnaire', 'Manager') ON CONFLICT (key) DO NOTHING",
        MANAGER_ROLE,
        ["users:read", "users:write", "users:invite", "users:deactivate", "roles:assign"],
    )
    return MANAGER_ROLE
