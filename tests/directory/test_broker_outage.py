"""The directory through a broker outage: its API keeps working, nothing is lost, and every
event is published once the broker is back (the outbox on its own: tests/shared/messaging)."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.directory.settings import DirectorySettings
from tests.support.bus import BusSpy
from tests.support.directory import Tenant, directory_settings, migrate, new_tenant, start_directory
from tests.support.infra import Infrastructure, create_database, drop_database
from tests.support.servers import RunningServer
from tests.support.tcp_proxy import TcpProxy, proxy_to, through


@pytest.fixture
async def isolated_database(infra: Infrastructure) -> AsyncIterator[str]:
    """A database of its own, so that no other relay publishes this test's events."""
    name = f"lms_test_{infra.run_id}_outbox"
    url = await create_database(infra, name)
    await asyncio.to_thread(migrate, "directory", url)
    yield url
    await drop_database(infra, name)


@pytest.fixture
async def own_bus(private_vhost: str) -> AsyncIterator[BusSpy]:
    spy = await BusSpy(private_vhost).start()
    yield spy
    await spy.stop()


@pytest.fixture
async def broker_proxy(private_vhost: str) -> AsyncIterator[TcpProxy]:
    async with proxy_to(private_vhost) as proxy:
        yield proxy


async def pending_events(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )
        return count
    finally:
        await connection.close()


async def test_events_written_while_the_broker_is_down_are_published_when_it_is_back(
    isolated_database: str,
    broker_proxy: TcpProxy,
    private_vhost: str,
    jwt_keys: tuple[str, str],
    own_bus: BusSpy,
) -> None:
    bus = own_bus
    settings: DirectorySettings = directory_settings(
        isolated_database, through(broker_proxy, private_vhost), jwt_keys[0]
    )
    server: RunningServer = await start_directory(settings)
    try:
        tenant: Tenant = await new_tenant(settings, server.url)
        await bus.wait_for("user.logged_in", subject=str(tenant.admin_id))
        async with asyncio.timeout(10):  # everything so far is published and confirmed
            while await pending_events(isolated_database):
                await asyncio.sleep(0.05)
        await broker_proxy.cut()

        invited = [await tenant.invite() for _ in range(5)]
        user = invited[0]
        patched = await tenant.admin.patch(
            f"/api/v1/users/{user['id']}",
            json={"first_name": "Renée"},
            headers={"If-Match": str(user["version"])},
        )
        assert patched.status_code == 200, "the API keeps working while the broker is away"
        assert await pending_events(isolated_database) >= 11
        assert bus.matching("user.created", subject=user["id"]) == []

        await broker_proxy.restore()

        for each in invited:
            await bus.wait_for("user.created", within=30, subject=each["id"])
            await bus.wait_for("invitation.requested", within=30, subject=each["id"])
        [updated] = await bus.wait_for("user.updated", within=30, subject=user["id"])
        assert updated.body["data"]["first_name"] == "Renée"
        async with asyncio.timeout(10):  # seen on the bus before the relay records it
            while await pending_events(isolated_database):
                await asyncio.sleep(0.05)
        ids = [s.message_id for s in bus.seen if s.body.get("tenantid") == str(tenant.id)]
        assert len(ids) == len(set(ids)), "each event is published once"
        await tenant.admin.aclose()
    finally:
        await server.stop()
