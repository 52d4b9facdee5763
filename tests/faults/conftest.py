"""What the fault tests share: a proxy before RabbitMQ in the test's own virtual host, a
spy on that vhost's bus, the directory as a real process in its own database."""

import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.faults.proxy import FaultProxy
from tests.faults.support import ServiceProcess, directory_env, new_service, service_database
from tests.support.bus import BusSpy
from tests.support.directory import Tenant, directory_settings, new_tenant
from tests.support.infra import Infrastructure
from tests.support.keys import JWT_PRIVATE_KEY


@pytest.fixture
async def broker_proxy(private_vhost: str) -> AsyncIterator[FaultProxy]:
    parts = urllib.parse.urlsplit(private_vhost)
    proxy = await FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5672).start()
    yield proxy
    await proxy.stop()


@pytest.fixture
async def spy(private_vhost: str) -> AsyncIterator[BusSpy]:
    """Every event published in the test's vhost, seen over a direct connection (never
    through the proxy): started before any service, so it misses nothing."""
    bus = await BusSpy(private_vhost).start()
    yield bus
    await bus.stop()


@pytest.fixture
async def directory_database(infra: Infrastructure) -> AsyncIterator[str]:
    """The directory's own database, for this test alone."""
    async with service_database(infra, "directory") as url:
        yield url


@pytest.fixture
def directory_process(
    directory_database: str, private_vhost: str, broker_proxy: FaultProxy, tmp_path: Path
) -> ServiceProcess:
    """The directory, reaching RabbitMQ through the proxy; not started yet."""
    amqp = broker_proxy.url_for(private_vhost)
    return new_service(
        "directory", lambda port: directory_env(directory_database, amqp, port), tmp_path
    )


async def tenant_on(directory: ServiceProcess, private_vhost: str) -> Tenant:
    """A tenant and its logged-in admin, on a directory running as a process."""
    settings = directory_settings(directory.env["DATABASE_URL"], private_vhost, JWT_PRIVATE_KEY)
    return await new_tenant(settings, directory.url)
