"""A 20 s broker outage with ~500 events waiting: the directory's log says so in a few
lines (not one per event and attempt), says when it is over, and every line about a
message that is retried or parked names the message."""

import asyncio
import time
import uuid
from collections import Counter
from typing import Any

from tests.faults.conftest import tenant_on
from tests.faults.proxy import FaultProxy
from tests.faults.support import (
    ServiceProcess,
    count,
    fill_outbox,
    report,
    running,
    wait_until,
    warnings_in,
)
from tests.support.bus import BusSpy, EventPublisher

OUTAGE_SECONDS = 20.0
ROWS = 500
PENDING = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
MOST_WARNINGS = 12  # a handful per outage, whatever the number of waiting events


async def test_a_broker_outage_is_a_few_log_lines_not_one_per_event(
    directory_process: ServiceProcess, broker_proxy: FaultProxy, spy: BusSpy, private_vhost: str
) -> None:
    directory = directory_process
    database = directory.env["DATABASE_URL"]
    async with running(directory):
        await directory.healthy()
        await directory.broker_connected()
        tenant = await tenant_on(directory, private_vhost)
        before = len(directory.records())
        await broker_proxy.outage()
        started = time.monotonic()
        invited = [await tenant.invite() for _ in range(10)]  # the API goes on meanwhile
        await fill_outbox(database, ROWS - 2 * len(invited))
        waiting = await count(database, PENDING)
        await asyncio.sleep(OUTAGE_SECONDS - (time.monotonic() - started))
        await broker_proxy.heal()
        await wait_until(
            lambda: _all_published(database), 60, "the waiting events published after the outage"
        )
        during = directory.records()[before:]
        parked_id = await _park_one(private_vhost, tenant.id)
        await wait_until(
            lambda: any(r.get("event_id") == parked_id for r in directory.records()),
            30,
            "the poison message parked",
        )
        traced = directory.lines_with("will retry", "parked in dead-letter")
        warned = warnings_in(during)
        lost = [r for r in during if r.get("event", "").startswith("lost the broker")]
        back = [r for r in during if r.get("event") == "reconnected to the broker"]
        report(
            "log hygiene in a broker outage",
            outage_s=OUTAGE_SECONDS,
            events_waiting=waiting,
            log_lines=len(during),
            warning_or_error_lines=len(warned),
            by_message=dict(Counter(str(r.get("event"))[:60] for r in warned)),
            lost_lines=len(lost),
            reconnected_lines=len(back),
            retry_or_park_lines=len(traced),
            without_event_id=sum("event_id" not in r for r in traced),
        )
        assert waiting >= ROWS
        assert len(warned) <= MOST_WARNINGS
        assert len(lost) == len(back) == 1, "the outage and its end, each said once"
        assert traced
        assert all("event_id" in r for r in traced)


async def _all_published(database: str) -> bool:
    return await count(database, PENDING) == 0


async def _park_one(amqp_url: str, tenant_id: uuid.UUID) -> str:
    """A message about nobody: parked, and its log line must say which message it was."""
    publisher = await EventPublisher(amqp_url).start()
    try:
        data: dict[str, Any] = {
            "activity_id": "ghost",
            "user_id": str(uuid.uuid4()),
            "title": "Nobody's lesson",
            "occurred_at": "2024-01-01T00:00:00Z",
        }
        envelope = await publisher.publish("lms.activity.viewed", tenant_id, data)
    finally:
        await publisher.stop()
    return str(envelope["id"])
