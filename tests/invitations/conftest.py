"""The invitations service, running for real (see tests.support.invitations), and direct
access to the databases for what no API does: making time pass, seeing the send queue."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.support.events import EventPublisher
from tests.support.invitations import (
    InvitationsStack,
    invitations,
    invitations_stack,
    smtp,
    smtp_proxy,
)

__all__ = ["invitations", "invitations_stack", "smtp", "smtp_proxy"]


@pytest.fixture(scope="session")
async def events(amqp_url: str) -> AsyncIterator[EventPublisher]:
    publisher = await EventPublisher(amqp_url).start()
    yield publisher
    await publisher.stop()


@pytest.fixture(scope="session")
async def directory_sql(directory_db: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(directory_db, min_size=1, max_size=2)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def invitations_sql(invitations_stack: InvitationsStack) -> AsyncIterator[asyncpg.Pool]:
    url = str(invitations_stack.settings.database_url).replace("+asyncpg", "")
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    yield pool
    await pool.close()
