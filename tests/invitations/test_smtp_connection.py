"""The sender's SMTP session against a real SMTP server (aiosmtpd): the connection kept
between e-mails, and what happens when the server dropped it meanwhile."""

from collections.abc import AsyncIterator

import pytest

from services.invitations.adapters.mail.message import MimeMessage
from services.invitations.adapters.mail.smtp import SmtpConfig, SmtpSession
from tests.support.invitations import SmtpSink


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
