"""The invitations and bounces services, running for real (see tests.support.invitations
and tests.support.bounces), and the directory's database for what no API does (making
the resend interval pass)."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.support.bounces import bounces_stack
from tests.support.invitations import invitations, invitations_stack, smtp, smtp_proxy

__all__ = ["bounces_stack", "invitations", "invitations_stack", "smtp", "smtp_proxy"]


@pytest.fixture(scope="session")
async def directory_sql(directory_db: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(directory_db, min_size=1, max_size=2)
    yield pool
    await pool.close()
