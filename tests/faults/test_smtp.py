"""The mail server misbehaving under a burst of invitations, through a TCP proxy between
the invitations service and it (docs/invitations.md, "Sending"):

- the server's reply to a whole message is lost (swallowed, then the line cut) for a few
  seconds: the server accepted the message, the service can't know. Every user must end
  with one link that works in every copy they got, and one `invitation.sent`;
- the server is unreachable for a while, then back: everything is sent once, and the log
  says so in a few lines (not one per e-mail and attempt), then says it is over.

Each test is bounded in time and prints its counts."""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from tests.support.bus import BusSpy, EventPublisher
from tests.support.infra import Infrastructure
from tests.support.invitations import (
    Invitee,
    RunningInvitations,
    invitee_client,
    open_invite,
    own_vhost,
    request_invitation,
    running_invitations,
    sending_settled,
)

USERS = 200
FAULT_SECONDS = 3.0
WITHIN_SECONDS = 60.0


@dataclass
class Faulty:
    service: RunningInvitations
    bus: BusSpy
    events: EventPublisher
    sql: asyncpg.Pool


@pytest.fixture
async def faulty(infra: Infrastructure) -> AsyncIterator[Faulty]:
    """A service of its own: retries come fast and are many, so an outage of seconds
    is ridden out (the defaults are 30 s growing to 30 min, 8 attempts). One per test: the
    sender tells an outage's first failure unless it comes within seconds of the last
    recovery it told (`FailureStreak.settle`), which an earlier test's outage could be."""
    async with own_vhost(infra, "faults-smtp") as amqp_url:
        bus = await BusSpy(amqp_url).start()
        events = await EventPublisher(amqp_url).start()
        overrides = {
            "send_max_attempts": 50,
            "send_retry_base_seconds": 0.2,
            "send_retry_max_seconds": 1.0,
            "smtp_timeout_seconds": 5.0,
        }
        try:
            async with running_invitations(infra, amqp_url, "faults_smtp", **overrides) as service:
                url = str(service.settings.database_url).replace("+asyncpg", "")
                sql = await asyncpg.create_pool(url, min_size=1, max_size=2)
                try:
                    yield Faulty(service, bus, events, sql)
                finally:
                    await sql.close()
        finally:
            await events.stop()
            await bus.stop()


async def _invite_all(events: EventPublisher, invitees: list[Invitee]) -> None:
    await asyncio.gather(*(request_invitation(events, invitee) for invitee in invitees))


async def _all_sent(faulty: Faulty, invitees: list[Invitee]) -> Counter[str]:
    """Until every invitee's `invitation.sent` was published; how many each got."""
    ids = {str(invitee.id) for invitee in invitees}

    def sent() -> Counter[str]:
        return Counter(
            s.body["subject"]
            for s in faulty.bus.seen
            if s.routing_key == "invitation.sent" and s.body["subject"] in ids
        )

    while len(sent()) < len(ids):
        await asyncio.sleep(0.2)
    await sending_settled(faulty.sql, [invitee.id for invitee in invitees], WITHIN_SECONDS)
    await asyncio.sleep(1.0)  # a duplicate event, if any, would be on the bus by now
    return sent()


def _sent_attempts(faulty: Faulty, invitees: list[Invitee]) -> dict[str, int]:
    """The `attempt` of each invitee's `invitation.sent`."""
    ids = {str(invitee.id) for invitee in invitees}
    return {
        s.body["subject"]: s.data["attempt"]
        for s in faulty.bus.seen
        if s.routing_key == "invitation.sent" and s.body["subject"] in ids
    }


def report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    """The counts, shown in the test run's output (not captured)."""
    with capsys.disabled():
        print(f"\n{line}")


async def test_lost_replies_after_data_leave_one_working_link_per_user(
    faulty: Faulty, capsys: pytest.CaptureFixture[str]
) -> None:
    smtp, proxy = faulty.service.smtp, faulty.service.proxy
    invitees = [Invitee() for _ in range(USERS)]
    started = time.monotonic()
    async with asyncio.timeout(WITHIN_SECONDS):
        proxy.swallow_after_data = True
        try:
            await _invite_all(faulty.events, invitees)
            await asyncio.sleep(FAULT_SECONDS)
        finally:
            proxy.swallow_after_data = False
        sent = await _all_sent(faulty, invitees)
        copies = {invitee.id: smtp.to(invitee.email) for invitee in invitees}
        links = {invitee.id: {mail.link for mail in copies[invitee.id]} for invitee in invitees}
        async with invitee_client() as browser:
            answers = Counter(
                [
                    (await open_invite(browser, mail.link)).status
                    for mails in copies.values()
                    for mail in mails
                ]
            )
    received = sum(len(mails) for mails in copies.values())
    duplicated = Counter(len(mails) for mails in copies.values())
    report(
        capsys,
        f"{USERS} users, replies after DATA lost for {FAULT_SECONDS:.0f} s:"
        f" {proxy.swallowed} replies swallowed, {received} e-mails received"
        f" (copies per user: {dict(sorted(duplicated.items()))}),"
        f" {sum(sent.values())} invitation.sent, links opened: {dict(answers)},"
        f" {time.monotonic() - started:.1f} s",
    )
    assert proxy.swallowed > 0, "the fault was never injected"
    assert received > USERS, "no e-mail was sent twice: the test proved nothing"
    assert all(len(user_links) == 1 for user_links in links.values()), "one link per user"
    assert answers == Counter({200: received}), "every copy's link works"
    assert set(sent.values()) == {1}, "one invitation.sent per user"
    for mails in copies.values():
        assert len({mail.message["Message-ID"] for mail in mails}) == 1
    # Each attempt was a conversation the server accepted: a lost reply never charged
    # the rest of its worker's batch an attempt they did not make.
    attempts = _sent_attempts(faulty, invitees)
    assert all(attempts[str(i.id)] == len(copies[i.id]) for i in invitees)


async def test_smtp_unreachable_for_a_while_then_everything_is_sent_once(
    faulty: Faulty, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="services.invitations")
    smtp, proxy = faulty.service.smtp, faulty.service.proxy
    invitees = [Invitee() for _ in range(USERS)]
    started = time.monotonic()
    async with asyncio.timeout(WITHIN_SECONDS):
        await proxy.cut()
        try:
            await _invite_all(faulty.events, invitees)
            await asyncio.sleep(FAULT_SECONDS)
        finally:
            await proxy.restore()
        sent = await _all_sent(faulty, invitees)
    received = Counter(len(smtp.to(invitee.email)) for invitee in invitees)
    ids = {str(invitee.id) for invitee in invitees}
    attempts = Counter(_sent_attempts(faulty, invitees).values())
    said = _sending_log(caplog)
    failed = [
        s
        for s in faulty.bus.seen
        if s.routing_key == "invitation.failed" and s.body["subject"] in ids
    ]
    report(
        capsys,
        f"{USERS} users, SMTP unreachable for {FAULT_SECONDS:.0f} s:"
        f" e-mails per user {dict(received)}, {sum(sent.values())} invitation.sent"
        f" (attempts: {dict(sorted(attempts.items()))}), {len(failed)} invitation.failed,"
        f" {time.monotonic() - started:.1f} s, log: {dict(Counter(e['event'] for e in said))}",
    )
    assert max(attempts) > 1, "nothing waited for the server: the test proved nothing"
    assert received == Counter({1: USERS}), "every user got exactly one e-mail"
    assert set(sent.values()) == {1}
    assert failed == []
    warned = [e for e in said if e["level"] == "warning"]
    assert len(warned) == 1, "the outage told once"
    assert "invitation_id" in warned[0]
    [over] = [e for e in said if e["event"] == "e-mails sent again"]
    failures = sum((attempt - 1) * users for attempt, users in attempts.items())
    assert 0 < over["failed_attempts"] <= failures


def _sending_log(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """What the sender wrote, as an operator reads it (one JSON object a line)."""
    return [
        r.msg
        for r in caplog.records
        if r.name.startswith("services.invitations") and isinstance(r.msg, dict)
    ]
