"""Running the invitations service for tests: an in-process SMTP server (aiosmtpd) it
sends to, its settings, and acting as the invitee would (open the link, post the form)."""

import asyncio
import email
import email.policy
import random
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import cached_property
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.invitations.app import create_app
from services.invitations.settings import InvitationsSettings
from tests.support.directory import Tenant, migrate
from tests.support.infra import Infrastructure, create_database, drop_database
from tests.support.keys import SEALING_PUBLIC_KEY
from tests.support.servers import RunningServer, free_port
from tests.support.tcp_proxy import TcpProxy

LINK = re.compile(r"(https?://[^\s\"<>]+/invite/([A-Za-z0-9_-]+))")
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
NEW_PASSWORD = "a long and happy passphrase"


@dataclass(frozen=True)
class ReceivedMail:
    raw: bytes
    recipients: list[str]
    received_at: float  # time.perf_counter() when the server accepted it

    @cached_property
    def message(self) -> EmailMessage:
        """Parsed when asked (parsing costs more than receiving; benchmarks skip it)."""
        message = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        content: str = body.get_content()
        return content

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")

    @property
    def link(self) -> str:
        found = LINK.search(self.text)
        assert found, "no invitation link in the e-mail"
        return found.group(1)


class _Handler:
    def __init__(self, sink: "SmtpSink") -> None:
        self._sink = sink

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self._sink.refuse_recipients.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self._sink.refuse_data:
            return self._sink.refuse_data
        await self._sink.accept(envelope)
        return "250 Message accepted for delivery"


@dataclass
class SmtpSink:
    """An SMTP server in the test's event loop that keeps every message it accepts."""

    received: list[ReceivedMail] = field(default_factory=list)
    refuse_data: str | None = None  # e.g. "451 4.3.0 Try again later"
    refuse_recipients: dict[str, str] = field(default_factory=dict)
    port: int = 0

    def __post_init__(self) -> None:
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None

    async def start(self) -> "SmtpSink":
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(_Handler(self), hostname="sink.test", enable_SMTPUTF8=True),
            "127.0.0.1",
            0,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def accept(self, envelope: Envelope) -> None:
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        mail = ReceivedMail(raw, list(envelope.rcpt_tos), time.perf_counter())
        async with self._arrived:
            self.received.append(mail)
            self._arrived.notify_all()

    async def wait_for_total(self, total: int, within: float) -> None:
        """Until the server has accepted `total` messages in all."""
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.received) >= total), within
            )

    def to(self, address: str) -> list[ReceivedMail]:
        wanted = address.lower()
        return [m for m in self.received if wanted in (r.lower() for r in m.recipients)]

    async def wait_for(
        self, address: str, count: int = 1, within: float = 20.0
    ) -> list[ReceivedMail]:
        async with self._arrived:
            try:
                await asyncio.wait_for(
                    self._arrived.wait_for(lambda: len(self.to(address)) >= count), within
                )
            except TimeoutError:
                raise AssertionError(
                    f"expected {count} e-mail(s) to {address}, got {len(self.to(address))}"
                ) from None
        return self.to(address)


def invitations_settings(
    database_url: str, amqp_url: str, smtp_port: int, port: int, **overrides: Any
) -> InvitationsSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "amqp_url": amqp_url,
        "port": port,
        "public_url": f"http://127.0.0.1:{port}",
        "login_url": "http://127.0.0.1/login",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_timeout_seconds": 5.0,
        "sender_address": "invitations@lms.test",
        "csrf_secret": "test-secret-" + "x" * 32,
        "link_secret": "test-link-secret-" + "y" * 32,
        "sealing_public_key": SEALING_PUBLIC_KEY,
        "cookie_secure": False,  # the tests speak plain HTTP to 127.0.0.1
        "send_retry_base_seconds": 0.2,
        "send_retry_max_seconds": 1.0,
        "send_max_attempts": 3,
        "send_poll_seconds": 0.5,
        "reminder_scan_seconds": 3600,
        "outbox_poll_seconds": 0.2,
        "outbox_max_backoff_seconds": 1.0,
        "consumer_retry_delay_seconds": 0.05,
        **overrides,
    }
    return InvitationsSettings(**values)


async def start_invitations(settings: InvitationsSettings) -> RunningServer:
    return await RunningServer(create_app(settings), port=settings.port).start()


def invitee_client() -> httpx.AsyncClient:
    """A browser of its own: its own cookies and its own address (X-Forwarded-For, which
    uvicorn trusts from 127.0.0.1), so per-client throttling never mixes tests."""
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    return httpx.AsyncClient(timeout=30, headers={"X-Forwarded-For": address})


@dataclass(frozen=True)
class InvitePage:
    response: httpx.Response

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def html(self) -> str:
        return self.response.text

    @property
    def csrf(self) -> str:
        found = CSRF_FIELD.search(self.html)
        assert found, "no CSRF field in the page"
        return found.group(1)


async def open_invite(client: httpx.AsyncClient, link: str, **params: str) -> InvitePage:
    return InvitePage(await client.get(link, params=params))


async def choose_password(
    client: httpx.AsyncClient,
    link: str,
    password: str = NEW_PASSWORD,
    confirmation: str | None = None,
    *,
    csrf: str | None = None,
    lang: str = "",
) -> httpx.Response:
    """Open the page (for its CSRF token) unless given one, then post the form."""
    if csrf is None:
        csrf = (await open_invite(client, link)).csrf
    form = {
        "csrf": csrf,
        "lang": lang,
        "password": password,
        "password_confirmation": password if confirmation is None else confirmation,
    }
    return await client.post(link, data=form)


@dataclass
class InvitationsStack:
    """One invitations service per test run (however many test folders ask for it): two
    would compete for the same queue with different databases and SMTP servers."""

    settings: InvitationsSettings
    server: RunningServer
    smtp: SmtpSink
    proxy: TcpProxy  # between the service and the SMTP server, to take SMTP away
    database: str
    users: int = 0

    async def stop(self, infra: Infrastructure) -> None:
        await self.server.stop()
        await self.proxy.cut()
        await self.smtp.stop()
        await drop_database(infra, self.database)


_stacks: dict[str, InvitationsStack] = {}


async def acquire_stack(infra: Infrastructure, amqp_url: str) -> InvitationsStack:
    stack = _stacks.get(infra.run_id)
    if stack is None:
        name = f"lms_test_{infra.run_id}_invitations"
        url = await create_database(infra, name)
        await asyncio.to_thread(migrate, "invitations", url)
        smtp = await SmtpSink().start()
        proxy = await TcpProxy("127.0.0.1", smtp.port).start()
        settings = invitations_settings(url, amqp_url, proxy.port, free_port())
        server = await start_invitations(settings)
        stack = _stacks[infra.run_id] = InvitationsStack(settings, server, smtp, proxy, name)
    stack.users += 1
    return stack


async def release_stack(infra: Infrastructure) -> None:
    stack = _stacks[infra.run_id]
    stack.users -= 1
    if stack.users == 0:
        del _stacks[infra.run_id]
        await stack.stop(infra)


# Fixtures, imported by the conftest of each folder that needs the service.


@pytest.fixture(scope="session")
async def invitations_stack(
    infra: Infrastructure, amqp_url: str, directory: RunningServer
) -> AsyncIterator[InvitationsStack]:
    stack = await acquire_stack(infra, amqp_url)
    yield stack
    await release_stack(infra)


@pytest.fixture(scope="session")
def invitations(invitations_stack: InvitationsStack) -> RunningServer:
    return invitations_stack.server


@pytest.fixture(scope="session")
def smtp(invitations_stack: InvitationsStack) -> SmtpSink:
    return invitations_stack.smtp


@pytest.fixture(scope="session")
def smtp_proxy(invitations_stack: InvitationsStack) -> TcpProxy:
    return invitations_stack.proxy


def new_address(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


async def invite_and_receive(
    tenant: Tenant, smtp: SmtpSink, email: str | None = None, **fields: Any
) -> tuple[dict[str, Any], ReceivedMail]:
    """Invite through the directory's API and wait for the e-mail to arrive."""
    address = email or new_address()
    user = await tenant.invite(address, **fields)
    mail = (await smtp.wait_for(address))[-1]
    return user, mail


async def allow_resend(directory_sql: asyncpg.Pool, user_id: str) -> None:
    """Make the directory's resend interval pass (back-date the last request)."""
    await directory_sql.execute(
        "UPDATE users SET invitation_requested_at = invitation_requested_at - interval '1 day'"
        " WHERE id = $1",
        uuid.UUID(user_id),
    )


async def resend(
    tenant: Tenant, directory_sql: asyncpg.Pool, smtp: SmtpSink, user: dict[str, Any]
) -> ReceivedMail:
    before = len(smtp.to(user["email"]))
    await allow_resend(directory_sql, user["id"])
    response = await tenant.admin.post(f"/api/v1/users/{user['id']}/invitation/resend")
    assert response.status_code == 202, response.text
    return (await smtp.wait_for(user["email"], count=before + 1))[-1]


async def sending_settled(invitations_sql: asyncpg.Pool, user_id: str, within: float = 20) -> None:
    """Wait until every e-mail queued for the user is sent, failed or cancelled."""
    query = (
        "SELECT count(*) FROM deliveries d JOIN invitations i"
        " ON i.tenant_id = d.tenant_id AND i.id = d.invitation_id"
        " WHERE i.user_id = $1 AND d.state IN ('pending', 'sending')"
    )
    async with asyncio.timeout(within):
        while await invitations_sql.fetchval(query, uuid.UUID(user_id)):
            await asyncio.sleep(0.05)
