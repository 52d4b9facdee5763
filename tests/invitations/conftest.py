"""Direct access to the invitations database, for what no API does: making time pass,
seeing the send queue. The service itself, the directory, the bus and `events` come from
the root conftest."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.support.invitations import InvitationsStack


@pytest.fixture(scope="session")
async def invitations_sql(invitations_stack: InvitationsStack) -> AsyncIterator[asyncpg.Pool]:
    url = str(invitations_stack.settings.database_url).replace("+asyncpg", "")
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    yield pool
    await pool.close()
