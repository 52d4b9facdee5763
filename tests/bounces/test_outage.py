"""A broker outage loses nothing: the service starts and answers providers without
RabbitMQ, the events wait in its outbox, and go out once the broker is back. The broker
is taken away with a TCP proxy between the service and RabbitMQ."""

import asyncio
import tempfile
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest

from services.bounces.app import create_app
from services.bounces.settings import BouncesSettings
from tests.bounces.posters import SendGrid
from tests.support.bounce_notices import ProviderSecrets, Report, What
from tests.support.bounces import bounces_settings, mailed, new_database, post
from tests.support.bus import BusSpy, EventPublisher
from tests.support.infra import Infrastructure, drop_database
from tests.support.servers import RunningServer
from tests.support.tcp_proxy import TcpProxy


@dataclass
class Outage:
    settings: BouncesSettings
    proxy: TcpProxy
    sql: asyncpg.Pool
    spy: BusSpy  # on the broker directly, not through the proxy
    events: EventPublisher


def _through(amqp_url: str, port: int) -> str:
    parts = urllib.parse.urlsplit(amqp_url)
    netloc = f"{parts.username}:{parts.password}@127.0.0.1:{port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
async def outage(
    infra: Infrastructure, private_vhost: str, secrets: ProviderSecrets
) -> AsyncIterator[Outage]:
    broker = urllib.parse.urlsplit(private_vhost)
    proxy = await TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672).start()
    name, url = await new_database(infra, "bounces_outage")
    spy = await BusSpy(private_vhost).start()
    events = await EventPublisher(private_vhost).start()
    sql = await asyncpg.create_pool(url, min_size=1, max_size=2)
    with tempfile.TemporaryDirectory() as folder:
        settings = bounces_settings(
            url, _through(private_vhost, proxy.port), secrets, Path(folder) / "sns.pem"
        )
        try:
            yield Outage(settings, proxy, sql, spy, events)
        finally:
            await proxy.cut()
            await sql.close()
            await events.stop()
            await spy.stop()
            await drop_database(infra, name)


async def _readiness(server: RunningServer) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def _broker_is(server: RunningServer, connected: bool, within: float = 30) -> None:
    async with asyncio.timeout(within):
        while (await _readiness(server))["broker"] is not connected:
            await asyncio.sleep(0.1)


async def _pending(sql: asyncpg.Pool) -> int:
    return int(await sql.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def test_events_accepted_during_an_outage_go_out_when_the_broker_is_back(
    outage: Outage, secrets: ProviderSecrets
) -> None:
    server = await RunningServer(create_app(outage.settings)).start()
    try:
        await _broker_is(server, True)
        messages = [await mailed(outage.events, outage.sql, datetime.now(UTC)) for _ in range(3)]

        await outage.proxy.cut()
        await _broker_is(server, False)
        reports = [Report(What.HARD_BOUNCE, m.address, m.message_id, m.tags) for m in messages]
        response = await post(server.url, "sendgrid", SendGrid(secrets).signed(reports))
        assert response.status_code == 200, response.text
        assert response.json()["published"] == 3
        await asyncio.sleep(1.5)
        assert await _pending(outage.sql) == 3
        assert outage.spy.matching("email.bounced") == []

        await outage.proxy.restore()
        seen = await outage.spy.wait_for("email.bounced", within=60, count=3)
        assert {s.data["user_id"] for s in seen} == {str(m.user_id) for m in messages}
        await asyncio.sleep(1.0)
        assert len(outage.spy.matching("email.bounced")) == 3  # each once
        assert await _pending(outage.sql) == 0
    finally:
        await server.stop()


async def test_the_service_starts_and_serves_without_a_broker(
    outage: Outage, secrets: ProviderSecrets
) -> None:
    await outage.proxy.cut()
    server = await RunningServer(create_app(outage.settings)).start()
    try:
        readiness = await _readiness(server)
        assert readiness["status"] == "ready"
        assert readiness["broker"] is False
        address = "early@example.com"
        report = Report(What.HARD_BOUNCE, address)
        response = await post(server.url, "sendgrid", SendGrid(secrets).signed([report]))
        assert response.status_code == 200, response.text
        assert response.json()["unmatched"] == 1  # nothing indexed yet: it waits

        await outage.proxy.restore()
        await _broker_is(server, True)
        message = await mailed(outage.events, outage.sql, datetime.now(UTC), address=address)
        [event] = await outage.spy.wait_for("email.bounced", provider_event_id=report.event_id)
        assert event.data["user_id"] == str(message.user_id)
    finally:
        await server.stop()
