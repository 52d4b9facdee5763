"""Two replicas of the invitations service (one database, the same queues) under a burst of
500 invitations from the directory, no fault injected: one e-mail per user, both
replicas send, no publication times out and no event reaches the bus twice (issue 8,
defect 2: the relay once timed healthy publications out under exactly this load)."""

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import tenant_on
from tests.faults.support import (
    ConfirmProbe,
    count,
    directory_env,
    fetch_value,
    invitations_env,
    new_service,
    report,
    running,
    service_database,
    wait_until,
)
from tests.support.bus import BusSpy
from tests.support.directory import Tenant
from tests.support.infra import Infrastructure
from tests.support.invitations import SmtpSink

INVITATIONS = 500
CONCURRENT = 8
PENDING = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
SLOWEST = "SELECT coalesce(max(extract(epoch FROM published_at - created_at)), 0) FROM outbox"


@pytest.fixture
async def sinks() -> AsyncIterator[list[SmtpSink]]:
    """One SMTP server per replica, so the test knows which replica sent what."""
    servers = [await SmtpSink().start(), await SmtpSink().start()]
    yield servers
    for server in servers:
        await server.stop()


async def invite_all(tenant: Tenant, addresses: list[str]) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for address in addresses:
        queue.put_nowait(address)

    async def admin() -> None:
        while not queue.empty():
            await tenant.invite(queue.get_nowait())

    await asyncio.gather(*(admin() for _ in range(CONCURRENT)))


async def test_two_invitations_replicas_send_one_email_per_user_and_nothing_twice(
    infra: Infrastructure,
    private_vhost: str,
    sinks: list[SmtpSink],
    spy: BusSpy,
    tmp_path: Path,
) -> None:
    async with AsyncExitStack() as stack:
        directory_db = await stack.enter_async_context(service_database(infra, "directory"))
        invitations_db = await stack.enter_async_context(service_database(infra, "invitations"))
        directory = new_service(
            "directory", partial(directory_env, directory_db, private_vhost), tmp_path
        )
        replicas = [
            new_service(
                "invitations",
                partial(_replica_env, invitations_db, private_vhost, sink.port),
                tmp_path,
            )
            for sink in sinks
        ]
        services = [directory, *replicas]
        await stack.enter_async_context(running(*services))
        for service in services:
            await service.healthy()
            await service.broker_connected()
        tenant = await tenant_on(directory, private_vhost)
        probe = await ConfirmProbe(private_vhost).start()
        stack.push_async_callback(probe.stop)
        addresses = [f"burst-{n}-{uuid.uuid4().hex[:6]}@example.com" for n in range(INVITATIONS)]
        started, test_cpu = time.monotonic(), time.process_time()
        await invite_all(tenant, addresses)
        invited_in = time.monotonic() - started
        await wait_until(
            lambda: sum(len(sink.received) for sink in sinks) >= INVITATIONS,
            180,
            f"{INVITATIONS} e-mails",
        )
        await wait_until(
            lambda: len(spy.matching("invitation.sent")) >= INVITATIONS, 60, "every sent event"
        )
        await wait_until(partial(_outboxes_empty, directory_db, invitations_db), 60, "outboxes")
        elapsed = time.monotonic() - started
        cpu = [round(s.cpu_seconds(), 1) for s in services] + [
            round(time.process_time() - test_cpu, 1)
        ]
        await asyncio.sleep(1.0)  # anything published twice would show by now

        per_recipient = Counter(
            recipient.lower()
            for sink in sinks
            for mail in sink.received
            for recipient in mail.recipients
        )
        message_ids = [str(mail.message["Message-ID"]) for sink in sinks for mail in sink.received]
        failed_lines = [line for s in services for line in s.records() if _failed_publish(line)]
        ids = [seen.message_id for seen in spy.seen]
        report(
            "two invitations replicas",
            invitations=INVITATIONS,
            emails=sum(per_recipient.values()),
            users_with_one=sum(n == 1 for n in per_recipient.values()),
            users_with_more=sum(n > 1 for n in per_recipient.values()),
            distinct_message_ids=len(set(message_ids)),
            sent_by_replica=[len(sink.received) for sink in sinks],
            failed_publish_lines=len(failed_lines),
            events_on_bus=len(ids),
            duplicate_events=len(ids) - len(set(ids)),
            outbox_to_bus_max_s=[
                round(await _slowest(directory_db), 2),
                round(await _slowest(invitations_db), 2),
            ],
            invitations_answered_in_s=round(invited_in, 1),
            burst_to_quiet_s=round(elapsed, 1),
            broker_confirm_worst_ms=probe.worst_ms(),
            cpu_s_directory_replicas_test=cpu,
        )
        assert set(per_recipient) == {address.lower() for address in addresses}
        assert all(n == 1 for n in per_recipient.values()), "one e-mail per user"
        assert len(set(message_ids)) == INVITATIONS
        assert all(len(sink.received) > 0 for sink in sinks), "both replicas sent some"
        assert failed_lines == []
        assert len(ids) == len(set(ids)), "no event on the bus twice"


def _failed_publish(line: dict[str, Any]) -> bool:
    """An outbox relay's failure line, or a timeout anywhere in the messaging code."""
    event, logger = str(line.get("event", "")), str(line.get("logger", ""))
    timed_out = "TimeoutError" in json.dumps(line) and logger.startswith("shared.messaging")
    return event.startswith(("outbox publications failed", "outbox publish failed")) or timed_out


def _replica_env(database: str, amqp_url: str, smtp_port: int, port: int) -> dict[str, str]:
    # Fewer SMTP sessions than the default 16: two replicas and the directory share one
    # PostgreSQL (max_connections 100) with whatever else runs on the machine.
    return invitations_env(database, amqp_url, port, smtp_port, SEND_CONCURRENCY="4")


async def _outboxes_empty(*databases: str) -> bool:
    return all([await count(database, PENDING) == 0 for database in databases])


async def _slowest(database: str) -> float:
    return float(await fetch_value(database, SLOWEST))
