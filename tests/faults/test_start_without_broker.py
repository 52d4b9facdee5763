"""A service started while RabbitMQ can't be reached starts anyway: it serves its API
(events wait in its outbox), says honestly that the broker is away, and once the broker
answers its events flow, without a restart."""

import asyncio
import time

from tests.faults.conftest import tenant_on
from tests.faults.proxy import FaultProxy
from tests.faults.support import ServiceProcess, report, running
from tests.support.bus import BusSpy

AWAY_SECONDS = 3.0


async def test_a_service_started_without_the_broker_serves_then_catches_up(
    directory_process: ServiceProcess, broker_proxy: FaultProxy, spy: BusSpy, private_vhost: str
) -> None:
    directory = directory_process
    await broker_proxy.refuse()
    async with running(directory):
        started = time.monotonic()
        await directory.healthy()
        serving_after = time.monotonic() - started
        away = await directory.readiness()
        tenant = await tenant_on(directory, private_vhost)
        user = await tenant.invite()  # answered 201 while the broker is away
        await asyncio.sleep(AWAY_SECONDS)
        published_while_away = len(spy.matching("user.created", subject=user["id"]))
        assert directory.process is not None
        still_running = directory.process.poll() is None

        await broker_proxy.listen()
        back = time.monotonic()
        await spy.wait_for("user.created", within=60, subject=user["id"])
        await spy.wait_for("invitation.requested", within=10, subject=user["id"])
        flowing_after = time.monotonic() - back
        await directory.broker_connected(within=30)
        connected = await directory.readiness()
        unreachable_lines = directory.lines_with("broker unreachable")
        report(
            "started without the broker",
            serving_after_s=round(serving_after, 1),
            readyz_while_away=(away["http_status"], f"broker={away['broker']}"),
            published_while_away=published_while_away,
            events_flowing_after_s=round(flowing_after, 1),
            readyz_after=(connected["http_status"], f"broker={connected['broker']}"),
            broker_unreachable_lines=len(unreachable_lines),
            restarts=len(directory.runs) - 1,
        )
        assert still_running
        assert away["http_status"] == 200
        assert away["broker"] is False
        assert away["database"] is True
        assert published_while_away == 0
        assert connected["http_status"] == 200
        assert connected["broker"] is True
        assert len(unreachable_lines) == 1, "one line per outage, not one per attempt"
        assert len(directory.runs) == 1
