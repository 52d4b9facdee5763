"""The e-mail: its languages and headers, sent once however often it is asked for, and
sent after the SMTP server comes back."""

import json
import uuid

import asyncpg

from tests.support.bus import BusSpy, EventPublisher, drained
from tests.support.invitations import (
    Invitee,
    SmtpSink,
    invite_and_receive,
    request_invitation,
    sending_settled,
    wait_for_deliveries,
)
from tests.support.servers import RunningServer
from tests.support.tcp_proxy import TcpProxy


async def test_the_french_e_mail(
    invitations: RunningServer, smtp: SmtpSink, events: EventPublisher
) -> None:
    invitee = Invitee(first_name="Éloïse", locale="fr", tenant_name="Platform Nord")
    _, mail = await invite_and_receive(events, smtp, invitee)
    assert mail.subject == "Invitation à rejoindre Platform Nord"
    assert "Bonjour Éloïse" in mail.text
    assert "Choisir mon mot de passe" in mail.html
    assert mail.link in mail.text
    assert mail.link in mail.html
    assert "Platform Nord" in mail.html


async def test_the_english_e_mail(
    invitations: RunningServer, smtp: SmtpSink, events: EventPublisher
) -> None:
    invitee = Invitee(first_name="Ada", locale="en", tenant_name="Platform Nord")
    _, mail = await invite_and_receive(events, smtp, invitee)
    assert mail.subject == "You are invited to join Platform Nord"
    assert "Hello Ada" in mail.text
    assert "Choose my password" in mail.html
    assert "expires on" in mail.text


async def test_headers_trace_the_e_mail_back_to_tenant_and_user(
    invitations: RunningServer, smtp: SmtpSink, bus: BusSpy, events: EventPublisher
) -> None:
    invitee, mail = await invite_and_receive(events, smtp)
    [sent] = await bus.wait_for("invitation.sent", subject=invitee.id)
    assert mail.message["Message-ID"] == sent.data["message_id"]
    assert mail.message["X-LMS-Tenant"] == str(invitee.tenant_id)
    assert mail.message["X-LMS-User"] == str(invitee.id)
    assert json.loads(str(mail.message["X-Mailgun-Variables"]))["user_id"] == str(invitee.id)
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert sent.data["attempt"] == 1
    assert sent.data["is_reminder"] is False
    assert sent.data["email"] == invitee.email


async def test_a_redelivered_request_sends_one_e_mail(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_amqp_url: str,
    invitations_sql: asyncpg.Pool,
) -> None:
    invitee, _ = await invite_and_receive(events, smtp)
    [requested] = await bus.wait_for("invitation.requested", subject=invitee.id)
    body = json.dumps(requested.body).encode()
    for _ in range(3):  # the same message again, as RabbitMQ may redeliver it
        await events.publish_raw("invitation.requested", body, str(requested.message_id))
    again = {**requested.body, "id": "a-new-event-id-for-the-same-request"}
    await events.publish_raw("invitation.requested", json.dumps(again).encode(), again["id"])

    await drained(invitations_amqp_url, "invitations.requests")
    await sending_settled(invitations_sql, invitee.id)
    assert len(smtp.to(invitee.email)) == 1
    assert len(bus.matching("invitation.sent", subject=invitee.id)) == 1


async def test_smtp_down_then_up_the_e_mail_arrives_once(
    invitations: RunningServer,
    smtp: SmtpSink,
    smtp_proxy: TcpProxy,
    bus: BusSpy,
    events: EventPublisher,
    invitations_sql: asyncpg.Pool,
) -> None:
    invitee = Invitee()
    await smtp_proxy.cut()
    try:
        await request_invitation(events, invitee)
        await _wait_for_failed_attempt(invitations_sql, invitee.id)
    finally:
        await smtp_proxy.restore()
    [mail] = await smtp.wait_for(invitee.email)
    [sent] = await bus.wait_for("invitation.sent", subject=invitee.id)
    assert sent.data["attempt"] >= 2
    assert sent.data["message_id"] == mail.message["Message-ID"]
    await sending_settled(invitations_sql, invitee.id)
    assert len(smtp.to(invitee.email)) == 1


async def test_a_server_refusing_for_now_is_tried_again(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_sql: asyncpg.Pool,
) -> None:
    invitee = Invitee()
    smtp.refuse_recipients[invitee.email] = "451 4.3.0 Mailbox busy, try later"
    try:
        await request_invitation(events, invitee)
        await _wait_for_failed_attempt(invitations_sql, invitee.id)
    finally:
        del smtp.refuse_recipients[invitee.email]
    await smtp.wait_for(invitee.email)
    await bus.wait_for("invitation.sent", subject=invitee.id)


async def test_after_the_last_attempt_the_failure_is_published(
    invitations: RunningServer, smtp: SmtpSink, bus: BusSpy, events: EventPublisher
) -> None:
    invitee = Invitee()
    smtp.refuse_recipients[invitee.email] = "452 4.2.2 Mailbox full"
    try:
        await request_invitation(events, invitee)
        [failed] = await bus.wait_for("invitation.failed", subject=invitee.id)
    finally:
        del smtp.refuse_recipients[invitee.email]
    assert "after 3 attempts" in failed.data["reason"]
    assert "452" in failed.data["reason"]
    assert failed.data["suppressed"] is False
    assert smtp.to(invitee.email) == []


async def test_an_address_the_server_rejects_for_good_fails_at_once(
    invitations: RunningServer, smtp: SmtpSink, bus: BusSpy, events: EventPublisher
) -> None:
    invitee = Invitee()
    smtp.refuse_recipients[invitee.email] = "550 5.1.1 No such user"
    try:
        await request_invitation(events, invitee)
        [failed] = await bus.wait_for("invitation.failed", subject=invitee.id)
    finally:
        del smtp.refuse_recipients[invitee.email]
    assert "550 5.1.1 No such user" in failed.data["reason"]
    assert failed.data["suppressed"] is False


async def test_an_invalid_address_fails_without_a_try(
    invitations: RunningServer, smtp: SmtpSink, bus: BusSpy, events: EventPublisher
) -> None:
    invitee = Invitee(email="not-an-address@")
    await request_invitation(events, invitee)
    [failed] = await bus.wait_for("invitation.failed", subject=invitee.id)
    assert "the address is not valid" in failed.data["reason"]
    assert smtp.to(invitee.email) == []


async def _wait_for_failed_attempt(invitations_sql: asyncpg.Pool, user_id: uuid.UUID) -> None:
    """Until the service has tried once and scheduled a retry."""
    await wait_for_deliveries(invitations_sql, user_id, lambda c: c.failed_once > 0)
