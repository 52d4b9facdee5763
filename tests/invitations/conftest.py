"""The invitations service alone: its own database, its own RabbitMQ virtual host (no
directory, nothing else on its bus), an SMTP server behind a proxy the tests can cut.
The tests play the directory's part with the publisher helper and watch the bus."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.support.bus import BusSpy, EventPublisher
from tests.support.infra import Infrastructure
from tests.support.invitations import (
    RunningInvitations,
    SmtpSink,
    own_vhost,
    running_invitations,
)
from tests.support.servers import RunningServer
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture(scope="session")
async def invitations_amqp_url(infra: Infrastructure) -> AsyncIterator[str]:
    async with own_vhost(infra, "invitations") as url:
        yield url


@pytest.fixture(scope="session")
async def bus(invitations_amqp_url: str) -> AsyncIterator[BusSpy]:
    """Everything published on the service's bus (this folder's own, see above)."""
    spy = await BusSpy(invitations_amqp_url).start()
    yield spy
    await spy.stop()


@pytest.fixture(scope="session")
async def events(invitations_amqp_url: str) -> AsyncIterator[EventPublisher]:
    publisher = await EventPublisher(invitations_amqp_url).start()
    yield publisher
    await publisher.stop()


@pytest.fixture(scope="session")
async def service(
    infra: Infrastructure, invitations_amqp_url: str, bus: BusSpy
) -> AsyncIterator[RunningInvitations]:
    async with running_invitations(infra, invitations_amqp_url, "invitations") as running:
        yield running


@pytest.fixture(scope="session")
def invitations(service: RunningInvitations) -> RunningServer:
    return service.server


@pytest.fixture(scope="session")
def smtp(service: RunningInvitations) -> SmtpSink:
    return service.smtp


@pytest.fixture(scope="session")
def smtp_proxy(service: RunningInvitations) -> TcpProxy:
    return service.proxy


@pytest.fixture(scope="session")
async def invitations_sql(service: RunningInvitations) -> AsyncIterator[asyncpg.Pool]:
    """The service's database, for what no API does: making time pass, seeing the queue."""
    url = str(service.settings.database_url).replace("+asyncpg", "")
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    yield pool
    await pool.close()
