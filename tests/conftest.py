"""Fixtures every test tier shares: real PostgreSQL and RabbitMQ, each run in its own
databases and its own RabbitMQ virtual host."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack

import pytest

from services.directory.cli.keygen import new_key_pair
from services.directory.settings import DirectorySettings
from tests.support.bus import BusSpy
from tests.support.directory import (
    Tenant,
    directory_settings,
    migrate,
    new_tenant,
    start_directory,
)
from tests.support.infra import Infrastructure, create_database, discover, drop_database
from tests.support.servers import RunningServer

os.environ.setdefault("LOG_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def infra() -> Iterator[Infrastructure]:
    with ExitStack() as stack:
        yield discover(stack)


@pytest.fixture(scope="session")
async def amqp_url(infra: Infrastructure) -> AsyncIterator[str]:
    if infra.make_vhost is None or infra.drop_vhost is None:
        raise RuntimeError("The tests need rabbitmqctl to give each run its own virtual host.")
    vhost = f"lms-test-{infra.run_id}"
    await asyncio.to_thread(infra.make_vhost, vhost)
    yield infra.vhost_url(vhost)
    await asyncio.to_thread(infra.drop_vhost, vhost)


@pytest.fixture
async def private_vhost(infra: Infrastructure) -> AsyncIterator[str]:
    """A RabbitMQ virtual host for one test that runs a second copy of a service: copies
    sharing a vhost would be competing consumers, taking each other's messages."""
    if infra.make_vhost is None or infra.drop_vhost is None:
        raise RuntimeError("The tests need rabbitmqctl to give each run its own virtual host.")
    vhost = f"lms-test-{infra.run_id}-{uuid.uuid4().hex[:6]}"
    await asyncio.to_thread(infra.make_vhost, vhost)
    yield infra.vhost_url(vhost)
    await asyncio.to_thread(infra.drop_vhost, vhost)


@pytest.fixture(scope="session")
def jwt_keys() -> tuple[str, str]:
    return new_key_pair()


async def _service_database(infra: Infrastructure, service: str) -> str:
    url = await create_database(infra, f"lms_test_{infra.run_id}_{service}")
    await asyncio.to_thread(migrate, service, url)
    return url


@pytest.fixture(scope="session")
async def directory_db(infra: Infrastructure) -> AsyncIterator[str]:
    url = await _service_database(infra, "directory")
    yield url
    await drop_database(infra, f"lms_test_{infra.run_id}_directory")


@pytest.fixture(scope="session")
def directory_config(
    directory_db: str, amqp_url: str, jwt_keys: tuple[str, str]
) -> DirectorySettings:
    return directory_settings(directory_db, amqp_url, jwt_keys[0])


@pytest.fixture(scope="session")
async def directory(directory_config: DirectorySettings) -> AsyncIterator[RunningServer]:
    server = await start_directory(directory_config)
    yield server
    await server.stop()


@pytest.fixture(scope="session")
async def bus(amqp_url: str) -> AsyncIterator[BusSpy]:
    spy = await BusSpy(amqp_url).start()
    yield spy
    await spy.stop()


@pytest.fixture
async def tenant(
    directory: RunningServer, directory_config: DirectorySettings
) -> AsyncIterator[Tenant]:
    """A fresh tenant with its admin logged in: tests never see each other's data."""
    created = await new_tenant(directory_config, directory.url)
    yield created
    await created.admin.aclose()
