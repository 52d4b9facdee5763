"""The sender's SMTP session against a real SMTP server (aiosmtpd): the connection kept
between e-mails, what happens when the server dropped it meanwhile, and the connections
shared by the sending workers."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from services.invitations.adapters.mail.mailer import MailWriter, SmtpMailer
from services.invitations.adapters.mail.message import MailFrom, MimeMessage
from services.invitations.adapters.mail.rate import RateLimiter
from services.invitations.adapters.mail.render import MailRenderer
from services.invitations.adapters.mail.smtp import SmtpConfig, SmtpSession
from services.invitations.domain.links import LinkMaker
from tests.support.invitations import SmtpSink
from tests.unit.invitations.emails import NOW
from tests.unit.invitations.emails import email as claimed


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = await SmtpSink().start()
    yield server
    await server.stop()


def _mail(recipient: str) -> MimeMessage:
    data = f"To: {recipient}\r\nSubject: hello\r\n\r\nHello {recipient}\r\n".encode()
    return MimeMessage("invitations@example.com", recipient, data)


async def test_e_mails_in_a_row_share_one_connection(sink: SmtpSink) -> None:
    async with SmtpSession(SmtpConfig("127.0.0.1", sink.port)) as session:
        for n in range(3):
            assert await session.send(_mail(f"user-{n}@example.com")) is None
    assert [mail.recipients for mail in sink.received] == [
        [f"user-{n}@example.com"] for n in range(3)
    ]
    assert sink.connections_opened == 1


async def test_a_kept_connection_the_server_dropped_is_replaced_and_the_e_mail_sent_once(
    sink: SmtpSink,
) -> None:
    async with SmtpSession(SmtpConfig("127.0.0.1", sink.port)) as session:
        assert await session.send(_mail("first@example.com")) is None
        sink.drop_connections()
        assert await session.send(_mail("second@example.com")) is None
    assert [mail.recipients for mail in sink.received] == [
        ["first@example.com"],
        ["second@example.com"],
    ]
    assert sink.connections_opened == 2


async def test_a_server_gone_for_good_is_reported_not_retried_forever(sink: SmtpSink) -> None:
    async with SmtpSession(SmtpConfig("127.0.0.1", sink.port)) as session:
        assert await session.send(_mail("first@example.com")) is None
        await sink.stop()
        sink.drop_connections()
        failure = await session.send(_mail("second@example.com"))
    assert failure is not None
    assert "could not be reached" in failure.reason
    assert [mail.recipients for mail in sink.received] == [["first@example.com"]]


async def test_senders_share_at_most_the_connections_given_and_each_e_mail_goes_once(
    sink: SmtpSink,
) -> None:
    writer = MailWriter(
        MailRenderer("https://invite.example.com", "America/Toronto"),
        MailFrom("", "invitations@example.com"),
    )
    mailer = SmtpMailer(writer, SmtpConfig("127.0.0.1", sink.port), RateLimiter(0), 3)
    links = LinkMaker(b"a link secret of thirty-two bytes")
    emails = [
        claimed(address=f"user-{n}@example.com", link=links.new(NOW + timedelta(days=7)))
        for n in range(12)
    ]
    try:
        failures = await asyncio.gather(*(mailer.send(email) for email in emails))
    finally:
        await mailer.close()
    assert failures == [None] * 12
    assert sorted(mail.recipients[0] for mail in sink.received) == sorted(
        email.address for email in emails
    )
    assert sink.connections_opened == 3
