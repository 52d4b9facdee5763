"""Running the directory for tests, and acting on it as an admin, a learner and the other
services would: `Lms` is a tenant seen from the rest of the platform."""

import asyncio
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from pydantic import BaseModel

from services.directory.app import create_app
from services.directory.cli.create_admin import AdminRequest, create_admin
from services.directory.domain.addresses import address_skeleton
from services.directory.settings import DirectorySettings
from shared.contracts.email import EmailBounced, EmailComplained, EmailDelivered
from shared.contracts.invitations import InvitationAccepted, InvitationSent
from shared.contracts.users import BounceKind
from shared.security.passwords import hash_password
from shared.security.sealing import seal
from tests.support.bus import BusSpy, EventPublisher, Seen, drained
from tests.support.keys import SEALING_PRIVATE_KEY, SEALING_PUBLIC_KEY
from tests.support.servers import RunningServer

ADMIN_PASSWORD = "correct horse battery staple"
LEARNER_PASSWORD = "a long learner passphrase"


def migrate(service: str, database_url: str) -> None:
    """Apply a service's migrations the way an operator does: its `migrate` command."""
    subprocess.run(
        [sys.executable, "-m", f"services.{service}", "migrate"],
        check=True,
        capture_output=True,
        env={"DATABASE_URL": database_url, "PATH": ""},
        timeout=120,
    )


def directory_settings(
    database_url: str, amqp_url: str, private_key: str, **overrides: Any
) -> DirectorySettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "amqp_url": amqp_url,
        "jwt_private_key": private_key,
        "sealing_private_keys": SEALING_PRIVATE_KEY,
        "session_cookie_secure": False,  # the tests speak plain HTTP to 127.0.0.1
        "log_json": True,
        "outbox_poll_seconds": 0.2,
        "outbox_max_backoff_seconds": 1.0,
        "consumer_retry_delay_seconds": 0.05,
        # The tests' jobs of a few thousand users run in several batches, as a job of
        # 100,000 does with the default (2,000): resumed, cancelled between two batches.
        "job_batch_size": 500,
        **overrides,
    }
    return DirectorySettings(**values)


async def start_directory(settings: DirectorySettings) -> RunningServer:
    return await RunningServer(create_app(settings)).start()


@dataclass
class Tenant:
    id: uuid.UUID
    slug: str
    admin_id: uuid.UUID
    admin_email: str
    admin: httpx.AsyncClient  # logged in as the tenant's admin (session cookie)
    base_url: str

    async def login(self, email: str, password: str) -> httpx.AsyncClient:
        return await log_in(self.base_url, self.slug, email, password)

    async def invite(self, email: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {
            "email": email or f"user-{uuid.uuid4().hex[:10]}@example.com",
            "first_name": fields.pop("first_name", "Marie"),
            "last_name": fields.pop("last_name", "Tremblay"),
            **fields,
        }
        response = await self.admin.post("/api/v1/users/invitations", json=body)
        assert response.status_code == 201, response.text
        user: dict[str, Any] = response.json()
        return user


async def log_in(base_url: str, tenant: str, email: str, password: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base_url, timeout=30)
    response = await client.post(
        "/api/v1/auth/login", json={"tenant": tenant, "email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return client


async def new_tenant(settings: DirectorySettings, base_url: str, name: str = "acme") -> Tenant:
    slug = f"{name}-{uuid.uuid4().hex[:8]}"
    email = f"admin@{slug}.example.com"
    request = AdminRequest(slug, f"Platform {slug}", email, ADMIN_PASSWORD, "Ada", "Admin", "fr")
    tenant, user, _ = await create_admin(settings.sqlalchemy_url, request)
    client = await log_in(base_url, slug, email, ADMIN_PASSWORD)
    return Tenant(tenant.id, slug, user.id, email, client, base_url)


def now() -> datetime:
    return datetime.now(UTC)


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def sealed_hash(password: str) -> str:
    """A password's hash as the invitations service sends it: sealed for the directory."""
    return seal(hash_password(password), SEALING_PUBLIC_KEY)


async def activate(
    events: EventPublisher, bus: BusSpy, tenant: Tenant, user: dict[str, Any], password: str
) -> httpx.AsyncClient:
    """What the invitations service reports when the user chooses a password; returns the
    user's own logged-in client."""
    accepted = InvitationAccepted(
        user_id=user["id"],
        email=user["email"],
        sealed_password_hash=await asyncio.to_thread(sealed_hash, password),
        accepted_at=now(),
    )
    await events.publish("invitation.accepted", tenant.id, accepted, subject=user["id"])
    await bus.wait_for("user.activated", subject=user["id"])
    return await tenant.login(user["email"], password)


@dataclass
class Lms:
    """A tenant seen from the rest of the platform: its admin's API client, the bus, and the
    events the other services would publish about its users."""

    tenant: Tenant
    bus: BusSpy
    events: EventPublisher
    amqp_url: str

    @property
    def admin(self) -> httpx.AsyncClient:
        return self.tenant.admin

    async def invite(self, email: str | None = None, **fields: Any) -> dict[str, Any]:
        return await self.tenant.invite(email, **fields)

    async def profile(self, user_id: str) -> dict[str, Any]:
        response = await self.admin.get(f"/api/v1/users/{user_id}")
        assert response.status_code == 200, response.text
        profile: dict[str, Any] = response.json()
        return profile

    async def version(self, user_id: str) -> int:
        return int((await self.profile(user_id))["version"])

    async def request_id(self, user_id: str) -> str:
        """The id of the latest invitation request the directory published for the user."""
        requests = await self.bus.wait_for("invitation.requested", subject=user_id)
        return str(requests[-1].data["request_id"])

    async def publish(
        self,
        event_type: str,
        data: BaseModel | dict[str, Any],
        *,
        subject: str | None = None,
        event_id: str | None = None,
    ) -> dict[str, Any]:
        return await self.events.publish(
            event_type, self.tenant.id, data, subject=subject, event_id=event_id
        )

    async def publish_and_wait(
        self,
        event_type: str,
        data: BaseModel,
        user_id: str,
        *,
        expect: str = "user.updated",
        event_id: str | None = None,
    ) -> Seen:
        """Publish an event about a user and wait for the `user.*` event it causes."""
        version = await self.version(user_id)
        await self.publish(event_type, data, subject=user_id, event_id=event_id)
        seen = await self.bus.wait_for(expect, subject=user_id, version=version + 1)
        return seen[-1]

    async def worked_off(self, queue: str) -> None:
        """Wait until the directory has processed (and acknowledged) all of `queue`."""
        await drained(self.amqp_url, queue)

    def sent(
        self,
        user: dict[str, Any],
        request_id: str,
        *,
        sent_at: datetime | None = None,
        first_sent_at: datetime | None = None,
        expires_at: datetime | None = None,
        message_id: str | None = None,
        attempt: int = 1,
    ) -> InvitationSent:
        sent_at = sent_at or now()
        return InvitationSent(
            request_id=uuid.UUID(request_id),
            user_id=uuid.UUID(user["id"]),
            email=user["email"],
            message_id=message_id or f"<{uuid.uuid4().hex}@mail.example.com>",
            first_sent_at=first_sent_at or sent_at,
            sent_at=sent_at,
            expires_at=expires_at or sent_at + timedelta(days=7),
            attempt=attempt,
        )

    async def invitation_sent(self, user: dict[str, Any], **kw: Any) -> InvitationSent:
        """The invitations service reports that the user's current invitation went out."""
        sent = self.sent(user, await self.request_id(user["id"]), **kw)
        await self.publish_and_wait("invitation.sent", sent, user["id"])
        return sent

    async def accept(self, user: dict[str, Any], password: str = LEARNER_PASSWORD) -> Seen:
        """The user chose a password on the invitation page: the account is activated."""
        accepted = InvitationAccepted(
            user_id=uuid.UUID(user["id"]),
            email=user["email"],
            sealed_password_hash=await asyncio.to_thread(sealed_hash, password),
            accepted_at=now(),
        )
        await self.publish("invitation.accepted", accepted, subject=user["id"])
        seen = await self.bus.wait_for("user.activated", subject=user["id"])
        return seen[-1]

    async def learner(self, **fields: Any) -> tuple[dict[str, Any], httpx.AsyncClient]:
        """An active learner, logged in with their own client."""
        user = await self.invite(**fields)
        await self.accept(user)
        client = await self.tenant.login(user["email"], LEARNER_PASSWORD)
        return await self.profile(user["id"]), client

    def bounce(
        self,
        user: dict[str, Any],
        kind: BounceKind = BounceKind.HARD,
        *,
        message_id: str | None = None,
        with_user_id: bool = False,
        occurred_at: datetime | None = None,
        email: str | None = None,
    ) -> EmailBounced:
        return EmailBounced(
            provider="postmark",
            provider_event_id=uuid.uuid4().hex,
            email=email or user["email"],
            message_id=message_id,
            user_id=uuid.UUID(user["id"]) if with_user_id else None,
            occurred_at=occurred_at or now(),
            kind=kind,
            reason=f"{kind.value} bounce: mailbox unavailable",
        )

    def complaint(
        self, user: dict[str, Any], *, occurred_at: datetime | None = None
    ) -> EmailComplained:
        return EmailComplained(
            provider="postmark",
            provider_event_id=uuid.uuid4().hex,
            email=user["email"],
            occurred_at=occurred_at or now(),
            feedback_type="abuse",
        )

    def delivery(
        self,
        user: dict[str, Any],
        *,
        message_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> EmailDelivered:
        return EmailDelivered(
            provider="postmark",
            provider_event_id=uuid.uuid4().hex,
            email=user["email"],
            message_id=message_id,
            occurred_at=occurred_at or now(),
        )


def problem(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    """Assert an RFC 9457 problem with that status whose detail names what is wrong."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    detail = str(body["detail"])
    for word in words:
        assert word.lower() in detail.lower(), f"{word!r} not in {detail!r}"
    return body


async def add_learners(
    sql: asyncpg.Pool, tenant_id: uuid.UUID, group_id: str, count: int, status: str = "active"
) -> None:
    """Many users at once (no API creates thousands in a test's time): plain rows, as a
    past import would have left them."""
    run = uuid.uuid4().hex[:8]
    emails = [f"bulk{n}-{run}@example.com" for n in range(1, count + 1)]
    async with sql.acquire() as connection, connection.transaction():
        ids = await connection.fetch(
            "INSERT INTO users (tenant_id, id, email, email_normalized, email_skeleton,"
            " first_name, last_name, locale, role, status) SELECT $1, gen_random_uuid(), e, e,"
            " s, 'Prénom', 'Nom' || n, 'fr', 'learner', $2"
            " FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS m(e, s, n) RETURNING id",
            tenant_id,
            status,
            emails,
            [address_skeleton(e) for e in emails],
        )
        await connection.executemany(
            "INSERT INTO user_groups (tenant_id, user_id, group_id) VALUES ($1, $2, $3)",
            [(tenant_id, row["id"], uuid.UUID(group_id)) for row in ids],
        )


async def create_groups(admin: httpx.AsyncClient, *names: str) -> dict[str, str]:
    """The groups, made by the tenant's administrator in the directory: id by name."""
    ids = {}
    for name in names:
        response = await admin.post("/api/v1/groups", json={"name": name})
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    return ids
