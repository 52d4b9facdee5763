"""The fixtures every test folder uses, in one place: real PostgreSQL and RabbitMQ (each
run in its own databases and its own RabbitMQ virtual host), the services running on real
ports, the bus as the other services see it. A folder's own conftest only adds what that
folder alone needs (`tests/directory/conftest.py`: `lms`, `dead_letters`)."""

import asyncio
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import asyncpg
import pytest

from services.directory.cli.keygen import new_key_pair
from services.directory.settings import DirectorySettings
from tests.support.bounces import BouncesStack, start_bounces
from tests.support.bus import BusSpy, EventPublisher
from tests.support.directory import (
    Tenant,
    directory_settings,
    migrate,
    new_tenant,
    start_directory,
)
from tests.support.exports import ExportsStack, start_exports_stack
from tests.support.infra import (
    Infrastructure,
    create_database,
    create_messaging_database,
    discover,
    drop_database,
)
from tests.support.invitations import RunningInvitations, SmtpSink, running_invitations
from tests.support.postgres_servers import private_postgres
from tests.support.servers import RunningServer
from tests.support.tcp_proxy import TcpProxy
from tests.support.webhooks import HookReceiver, WebhooksStack, start_webhooks_stack

os.environ.setdefault("LOG_LEVEL", "WARNING")


# --- the infrastructure -------------------------------------------------------------------


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


@pytest.fixture
async def own_server(infra: Infrastructure) -> AsyncIterator[Infrastructure]:
    """The run's infrastructure, but a PostgreSQL server of this test's own (default
    settings, max_connections 100), for tests running many service processes: they take
    none of the shared server's connections, and what they take is theirs alone to count."""
    async with private_postgres() as server_url:
        yield dataclasses.replace(infra, postgres_url=server_url)


@pytest.fixture(scope="session")
async def messaging_db(infra: Infrastructure) -> AsyncIterator[str]:
    """A database holding only the outbox and inbox tables: shared code tested on its own."""
    name = f"lms_test_{infra.run_id}_messaging"
    yield await create_messaging_database(infra, name)
    await drop_database(infra, name)


@pytest.fixture(scope="session")
def jwt_keys() -> tuple[str, str]:
    return new_key_pair()


# --- the bus, as the other services see it -----------------------------------------------


@pytest.fixture(scope="session")
async def bus(amqp_url: str) -> AsyncIterator[BusSpy]:
    spy = await BusSpy(amqp_url).start()
    yield spy
    await spy.stop()


@pytest.fixture(scope="session")
async def events(amqp_url: str) -> AsyncIterator[EventPublisher]:
    """The one way tests put events on the bus."""
    publisher = await EventPublisher(amqp_url).start()
    yield publisher
    await publisher.stop()


# --- the directory ------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def directory_db(infra: Infrastructure) -> AsyncIterator[str]:
    name = f"lms_test_{infra.run_id}_directory"
    url = await create_database(infra, name)
    await asyncio.to_thread(migrate, "directory", url)
    yield url
    await drop_database(infra, name)


@pytest.fixture(scope="session")
async def directory_sql(directory_db: str) -> AsyncIterator[asyncpg.Pool]:
    """The directory's database, for the few things no API does: making time pass
    (back-dating a timestamp), adding a role (roles are data), counting outbox rows."""
    pool = await asyncpg.create_pool(directory_db, min_size=1, max_size=2)
    yield pool
    await pool.close()


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


@pytest.fixture
async def tenant(
    directory: RunningServer, directory_config: DirectorySettings
) -> AsyncIterator[Tenant]:
    """A fresh tenant with its admin logged in: tests never see each other's data."""
    created = await new_tenant(directory_config, directory.url)
    yield created
    await created.admin.aclose()


# --- the invitations service --------------------------------------------------------------


@pytest.fixture(scope="session")
async def invitations_beside_directory(
    infra: Infrastructure, amqp_url: str, directory: RunningServer, jwt_keys: tuple[str, str]
) -> AsyncIterator[RunningInvitations]:
    """The invitations service on the run's bus, beside the directory (tests/invitations
    replaces it with the service alone on a bus of its own); it trusts the directory's
    access tokens."""
    async with running_invitations(
        infra, amqp_url, "invitations_e2e", jwt_public_key=jwt_keys[1]
    ) as running:
        yield running


@pytest.fixture(scope="session")
def invitations(invitations_beside_directory: RunningInvitations) -> RunningServer:
    return invitations_beside_directory.server


@pytest.fixture(scope="session")
def smtp(invitations_beside_directory: RunningInvitations) -> SmtpSink:
    return invitations_beside_directory.smtp


@pytest.fixture(scope="session")
def smtp_proxy(invitations_beside_directory: RunningInvitations) -> TcpProxy:
    return invitations_beside_directory.proxy


# --- the bounces service ------------------------------------------------------------------


@pytest.fixture(scope="session")
async def bounces_stack(infra: Infrastructure, amqp_url: str) -> AsyncIterator[BouncesStack]:
    stack = await start_bounces(infra, amqp_url)
    yield stack
    await stack.stop(infra)


# --- the webhooks service -----------------------------------------------------------------


@pytest.fixture(scope="session")
async def webhooks_stack(
    infra: Infrastructure, amqp_url: str, jwt_keys: tuple[str, str]
) -> AsyncIterator[WebhooksStack]:
    """The webhooks service on the run's bus; it trusts the directory's access tokens and
    delivers to local receivers (plain HTTP, private addresses), time compressed."""
    stack = await start_webhooks_stack(infra, amqp_url, jwt_keys)
    yield stack
    await stack.stop(infra)


@pytest.fixture(scope="session")
async def hook_receiver() -> AsyncIterator[HookReceiver]:
    """A webhook receiver on a real port (see HookReceiver for its scripted answers)."""
    receiver = await HookReceiver().start()
    yield receiver
    await receiver.stop()


# --- the exports service ------------------------------------------------------------------


@pytest.fixture(scope="session")
async def exports_stack(
    infra: Infrastructure,
    amqp_url: str,
    jwt_keys: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[ExportsStack]:
    """The exports service on the run's bus (it keeps its copy of every user the run's
    events carry), its files in a directory of the run; it trusts the directory's tokens."""
    folder: Path = tmp_path_factory.mktemp("exports")
    stack = await start_exports_stack(infra, amqp_url, jwt_keys, folder)
    yield stack
    await stack.stop(infra)
