"""The e-mail: its languages and headers, sent once however often it is asked for, and
sent after the SMTP server comes back."""

import asyncio
import json
import uuid

import asyncpg

from tests.support.bus import BusSpy, EventPublisher, drained
from tests.support.directory import Tenant
from tests.support.invitations import (
    SmtpSink,
    invite_and_receive,
    new_address,
    sending_settled,
)
from tests.support.servers import RunningServer
from tests.support.tcp_proxy import TcpProxy


async def test_the_french_e_mail(
    tenant: Tenant, invitations: RunningServer, smtp: SmtpSink
) -> None:
    _, mail = await invite_and_receive(tenant, smtp, first_name="Éloïse", locale="fr")
    assert mail.subject == f"Invitation à rejoindre Platform {tenant.slug}"
    assert "Bonjour Éloïse" in mail.text
    assert "Choisir mon mot de passe" in mail.html
    assert mail.link in mail.text
    assert mail.link in mail.html
    assert f"Platform {tenant.slug}" in mail.html


async def test_the_english_e_mail(
    tenant: Tenant, invitations: RunningServer, smtp: SmtpSink
) -> None:
    _, mail = await invite_and_receive(tenant, smtp, first_name="Ada", locale="en")
    assert mail.subject == f"You are invited to join Platform {tenant.slug}"
    assert "Hello Ada" in mail.text
    assert "Choose my password" in mail.html
    assert "expires on" in mail.text


async def test_headers_trace_the_e_mail_back_to_tenant_and_user(
    tenant: Tenant, invitations: RunningServer, smtp: SmtpSink, bus: BusSpy
) -> None:
    user, mail = await invite_and_receive(tenant, smtp)
    [sent] = await bus.wait_for("invitation.sent", subject=user["id"])
    assert mail.message["Message-ID"] == sent.data["message_id"]
    assert mail.message["X-LMS-Tenant"] == str(tenant.id)
    assert mail.message["X-LMS-User"] == user["id"]
    assert json.loads(str(mail.message["X-Mailgun-Variables"]))["user_id"] == user["id"]
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert sent.data["attempt"] == 1
    assert sent.data["is_reminder"] is False
    assert sent.data["email"] == user["email"]


async def test_a_redelivered_request_sends_one_e_mail(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    amqp_url: str,
    invitations_sql: asyncpg.Pool,
) -> None:
    user, _ = await invite_and_receive(tenant, smtp)
    [requested] = await bus.wait_for("invitation.requested", subject=user["id"])
    body = json.dumps(requested.body).encode()
    for _ in range(3):  # the same message again, as RabbitMQ may redeliver it
        await events.publish_raw("invitation.requested", body, str(requested.message_id))
    again = {**requested.body, "id": "a-new-event-id-for-the-same-request"}
    await events.publish_raw("invitation.requested", json.dumps(again).encode(), again["id"])

    await drained(amqp_url, "invitations.requests")
    await sending_settled(invitations_sql, user["id"])
    assert len(smtp.to(user["email"])) == 1


async def test_smtp_down_then_up_the_e_mail_arrives_once(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    smtp_proxy: TcpProxy,
    bus: BusSpy,
    invitations_sql: asyncpg.Pool,
) -> None:
    address = new_address("down")
    await smtp_proxy.cut()
    try:
        user = await tenant.invite(address)
        await _wait_for_failed_attempt(invitations_sql, user["id"])
    finally:
        await smtp_proxy.restore()
    [mail] = await smtp.wait_for(address)
    [sent] = await bus.wait_for("invitation.sent", subject=user["id"])
    assert sent.data["attempt"] >= 2
    assert sent.data["message_id"] == mail.message["Message-ID"]
    await sending_settled(invitations_sql, user["id"])
    assert len(smtp.to(address)) == 1


async def test_a_server_refusing_for_now_is_tried_again(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    invitations_sql: asyncpg.Pool,
) -> None:
    address = new_address("busy")
    smtp.refuse_recipients[address] = "451 4.3.0 Mailbox busy, try later"
    try:
        user = await tenant.invite(address)
        await _wait_for_failed_attempt(invitations_sql, user["id"])
    finally:
        del smtp.refuse_recipients[address]
    await smtp.wait_for(address)
    await bus.wait_for("invitation.sent", subject=user["id"])


async def test_after_the_last_attempt_the_directory_shows_the_failure(
    tenant: Tenant, invitations: RunningServer, smtp: SmtpSink, bus: BusSpy, amqp_url: str
) -> None:
    address = new_address("gone")
    smtp.refuse_recipients[address] = "452 4.2.2 Mailbox full"
    try:
        user = await tenant.invite(address)
        [failed] = await bus.wait_for("invitation.failed", subject=user["id"])
    finally:
        del smtp.refuse_recipients[address]
    assert "after 3 attempts" in failed.data["reason"]
    assert "452" in failed.data["reason"]
    await drained(amqp_url, "directory.invitations")
    profile = (await tenant.admin.get(f"/api/v1/users/{user['id']}")).json()
    assert profile["invitation"]["state"] == "failed"
    assert "452" in profile["invitation"]["failure_reason"]
    assert smtp.to(address) == []


async def test_an_address_the_server_rejects_for_good_fails_at_once(
    tenant: Tenant, invitations: RunningServer, smtp: SmtpSink, bus: BusSpy
) -> None:
    address = new_address("unknown")
    smtp.refuse_recipients[address] = "550 5.1.1 No such user"
    try:
        user = await tenant.invite(address)
        [failed] = await bus.wait_for("invitation.failed", subject=user["id"])
    finally:
        del smtp.refuse_recipients[address]
    assert "550 5.1.1 No such user" in failed.data["reason"]
    assert failed.data["suppressed"] is False


async def _wait_for_failed_attempt(invitations_sql: asyncpg.Pool, user_id: str) -> None:
    """Until the service has tried once and scheduled a retry."""
    query = (
        "SELECT count(*) FROM deliveries d JOIN invitations i"
        " ON i.tenant_id = d.tenant_id AND i.id = d.invitation_id"
        " WHERE i.user_id = $1 AND d.last_error IS NOT NULL"
    )
    async with asyncio.timeout(20):
        while not await invitations_sql.fetchval(query, uuid.UUID(user_id)):
            await asyncio.sleep(0.05)
