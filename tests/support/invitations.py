"""Running the invitations service for tests: an in-process SMTP server (aiosmtpd) it
sends to, its settings, the events the directory would publish about an invitee, and
acting as the invitee would (open the link, post the form)."""

import asyncio
import email
import email.policy
import random
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from functools import cached_property
from typing import Any, TypeVar

import asyncpg
import httpx
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.directory.api.access_tokens import AccessTokenIssuer
from services.invitations.app import create_app
from services.invitations.settings import InvitationsSettings
from shared.contracts.accounts import PASSWORD_RESET_REQUESTED, PasswordResetRequested
from shared.contracts.invitations import INVITATION_REQUESTED, InvitationRequested
from shared.contracts.users import (
    EmailSummary,
    InvitationState,
    InvitationSummary,
    Locale,
    UserSnapshot,
    UserStatus,
)
from shared.security.access_tokens import Principal
from shared.security.permissions import Permission
from tests.support.bus import EventPublisher
from tests.support.directory import migrate
from tests.support.infra import Infrastructure, create_database, drop_database
from tests.support.keys import JWT_PRIVATE_KEY, JWT_PUBLIC_KEY, SEALING_PUBLIC_KEY
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
    connections_opened: int = 0
    offers_smtputf8: bool = True  # in the EHLO answer of the connections opened from now

    def __post_init__(self) -> None:
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._connections: list[SMTP] = []

    async def start(self) -> "SmtpSink":
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def _connection(self) -> SMTP:
        connection = SMTP(
            _Handler(self), hostname="sink.test", enable_SMTPUTF8=self.offers_smtputf8
        )
        self._connections.append(connection)
        self.connections_opened += 1
        return connection

    def drop_connections(self) -> None:
        """Close every open connection from the server's side, as its idle time-out or a
        restart does, without a word to the client."""
        for connection in self._connections:
            if connection.transport is not None:
                connection.transport.close()
        self._connections.clear()

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
        "jwt_public_key": JWT_PUBLIC_KEY,  # the API's callers: tokens made by admin_token()
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


def admin_token(
    tenant_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None = None,
    permissions: frozenset[str] = frozenset({Permission.SUPPRESSIONS_MANAGE.value}),
) -> str:
    """An access token as the directory would issue it (the service alone trusts the
    run's key pair, tests/support/keys.py)."""
    issuer = AccessTokenIssuer(
        JWT_PRIVATE_KEY, issuer="lms-directory", audience="lms", ttl=timedelta(minutes=5)
    )
    principal = Principal(user_id or uuid.uuid4(), tenant_id, "admin", permissions, uuid.uuid4())
    return issuer.issue(principal)


def api_client(base_url: str, token: str | None) -> httpx.AsyncClient:
    """A client of the service's API, calling with `token` (None: no credentials)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30)


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
class RunningInvitations:
    """The invitations service on a real port, with its own database, an SMTP server
    and a TCP proxy between them (to take SMTP away, or swallow its replies)."""

    settings: InvitationsSettings
    server: RunningServer
    smtp: SmtpSink
    proxy: TcpProxy

    @property
    def url(self) -> str:
        return self.server.url


@asynccontextmanager
async def running_invitations(
    infra: Infrastructure, amqp_url: str, name: str, **overrides: Any
) -> AsyncIterator[RunningInvitations]:
    """Started once its consumers are bound: an event published after this reaches it."""
    database = f"lms_test_{infra.run_id}_{name}"
    url = await create_database(infra, database)
    await asyncio.to_thread(migrate, "invitations", url)
    smtp = await SmtpSink().start()
    proxy = await TcpProxy("127.0.0.1", smtp.port).start()
    settings = invitations_settings(url, amqp_url, proxy.port, free_port(), **overrides)
    server = await start_invitations(settings)
    try:
        await broker_connected(server.url)
        yield RunningInvitations(settings, server, smtp, proxy)
    finally:
        await server.stop()
        await proxy.cut()
        await smtp.stop()
        await drop_database(infra, database)


async def broker_connected(url: str, within: float = 30.0) -> None:
    async with httpx.AsyncClient(base_url=url) as client, asyncio.timeout(within):
        while not (await client.get("/readyz")).json().get("broker"):
            await asyncio.sleep(0.1)


@asynccontextmanager
async def own_vhost(infra: Infrastructure, label: str) -> AsyncIterator[str]:
    """A RabbitMQ virtual host of its own: the service under test alone on its bus."""
    if infra.make_vhost is None or infra.drop_vhost is None:
        raise RuntimeError("The tests need rabbitmqctl to give each run its own virtual host.")
    vhost = f"lms-test-{infra.run_id}-{label}"
    await asyncio.to_thread(infra.make_vhost, vhost)
    try:
        yield infra.vhost_url(vhost)
    finally:
        await asyncio.to_thread(infra.drop_vhost, vhost)


def new_address(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


@dataclass(frozen=True)
class Invitee:
    """A user of the directory, as the invitations service hears of them on the bus."""

    tenant_id: uuid.UUID = field(default_factory=uuid.uuid4)
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    email: str = field(default_factory=new_address)
    first_name: str = "Marie"
    last_name: str = "Tremblay"
    locale: Locale = "fr"
    tenant_name: str = "Académie Nord"

    def request(
        self, *, requested_at: datetime | None = None, is_resend: bool = False
    ) -> InvitationRequested:
        """What the directory publishes to have an invitation sent (first or again)."""
        return InvitationRequested(**self._requested(requested_at), is_resend=is_resend)

    def reset_request(self, *, requested_at: datetime | None = None) -> PasswordResetRequested:
        """What the directory publishes to have a password-reset link mailed."""
        return PasswordResetRequested(**self._requested(requested_at))

    def _requested(self, requested_at: datetime | None) -> dict[str, Any]:
        """What both requests say of the user and the tenant."""
        return {
            "request_id": uuid.uuid4(),
            "user_id": self.id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "locale": self.locale,
            "tenant_slug": "academie-nord",
            "tenant_name": self.tenant_name,
            "requested_by": None,
            "requested_at": requested_at or datetime.now(UTC),
        }

    def snapshot(
        self,
        version: int,
        *,
        status: UserStatus = UserStatus.INVITED,
        updated_at: datetime | None = None,
        **changes: Any,
    ) -> UserSnapshot:
        """The user as the directory's `user.*` events carry them."""
        now = updated_at or datetime.now(UTC)
        values: dict[str, Any] = {
            "id": self.id,
            "tenant_id": self.tenant_id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "phone": None,
            "locale": self.locale,
            "role": "learner",
            "status": status,
            "groups": [],
            "custom_fields": [],
            "invitation": InvitationSummary(state=InvitationState.SENT),
            "email_status": EmailSummary(),
            "deactivation": None,
            "activated_at": None,
            "last_login_at": None,
            "created_at": now,
            "updated_at": now,
            "version": version,
            **changes,
        }
        return UserSnapshot(**values)


async def request_invitation(
    events: EventPublisher, invitee: Invitee, **request: Any
) -> InvitationRequested:
    return await _publish(events, INVITATION_REQUESTED, invitee, invitee.request(**request))


async def request_password_reset(
    events: EventPublisher, invitee: Invitee, **request: Any
) -> PasswordResetRequested:
    return await _publish(
        events, PASSWORD_RESET_REQUESTED, invitee, invitee.reset_request(**request)
    )


RequestT = TypeVar("RequestT", InvitationRequested, PasswordResetRequested)


async def _publish(
    events: EventPublisher, event_type: str, invitee: Invitee, requested: RequestT
) -> RequestT:
    """The request on the bus, as the directory publishes it about the invitee."""
    await events.publish(event_type, invitee.tenant_id, requested, subject=str(invitee.id))
    return requested


async def invite_and_receive(
    events: EventPublisher, smtp: SmtpSink, invitee: Invitee | None = None, **request: Any
) -> tuple[Invitee, ReceivedMail]:
    """Have the invitation requested on the bus and wait for its e-mail."""
    invitee = invitee or Invitee()
    before = len(smtp.to(invitee.email))
    await request_invitation(events, invitee, **request)
    mail = (await smtp.wait_for(invitee.email, count=before + 1))[-1]
    return invitee, mail


@dataclass(frozen=True)
class DeliveryCounts:
    """The users' e-mails as the service holds them (its `deliveries`)."""

    queued: int  # every e-mail, whatever its state
    unsettled: int  # still to be sent (pending, or being sent)
    failed_once: int  # at least one attempt failed


DELIVERY_COUNTS = (
    "SELECT count(*) AS queued,"
    " count(*) FILTER (WHERE d.state IN ('pending', 'sending')) AS unsettled,"
    " count(*) FILTER (WHERE d.last_error IS NOT NULL) AS failed_once"
    " FROM deliveries d JOIN invitations i"
    " ON i.tenant_id = d.tenant_id AND i.id = d.invitation_id"
    " WHERE i.user_id = any($1)"
)


async def wait_for_deliveries(
    invitations_sql: asyncpg.Pool,
    user_ids: uuid.UUID | Sequence[uuid.UUID],
    until: Callable[[DeliveryCounts], bool],
    within: float = 20,
) -> None:
    """Until the users' e-mails are as `until` says (one helper for every such wait)."""
    ids = [user_ids] if isinstance(user_ids, uuid.UUID) else list(user_ids)
    async with asyncio.timeout(within):
        while True:
            row = await invitations_sql.fetchrow(DELIVERY_COUNTS, ids)
            assert row is not None  # an aggregate: always one row
            if until(DeliveryCounts(**row)):
                return
            await asyncio.sleep(0.05)


async def sending_settled(
    invitations_sql: asyncpg.Pool, user_ids: uuid.UUID | Sequence[uuid.UUID], within: float = 20
) -> None:
    """Wait until every e-mail queued for the users is sent, failed or cancelled."""
    await wait_for_deliveries(invitations_sql, user_ids, lambda c: c.unsettled == 0, within)


async def accepted_events(invitations_sql: asyncpg.Pool, user_id: uuid.UUID) -> int:
    """How many `invitation.accepted` the service wrote to its outbox for the user."""
    query = (
        "SELECT count(*) FROM outbox"
        " WHERE routing_key = 'invitation.accepted' AND body::jsonb ->> 'subject' = $1"
    )
    count: int = await invitations_sql.fetchval(query, str(user_id))
    return count
