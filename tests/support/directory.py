"""Running the directory for tests, and acting on it as an admin would."""

import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aio_pika
import httpx

from services.directory.app import create_app
from services.directory.cli.create_admin import AdminRequest, create_admin
from services.directory.settings import DirectorySettings
from shared.contracts import new_event
from shared.contracts.invitations import INVITATION_ACCEPTED, InvitationAccepted
from shared.security.passwords import hash_password
from shared.security.sealing import seal
from tests.support.keys import SEALING_PRIVATE_KEY, SEALING_PUBLIC_KEY
from tests.support.servers import RunningServer

if TYPE_CHECKING:
    from tests.support.bus import BusSpy

ADMIN_PASSWORD = "correct horse battery staple"


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


async def publish_event(amqp_url: str, event: Any) -> None:
    """Publish a CloudEvent on the bus the way a service's outbox relay does."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange("lms.events")
        message = aio_pika.Message(
            event.model_dump_json().encode(),
            message_id=event.id,
            delivery_mode=2,
            content_type="application/cloudevents+json",
        )
        await exchange.publish(message, routing_key=event.type)
    finally:
        await connection.close()


async def activate(
    amqp_url: str, bus: "BusSpy", tenant: Tenant, user: dict[str, Any], password: str
) -> httpx.AsyncClient:
    """What the invitations service does when the user chooses a password; returns the
    user's own logged-in client."""
    accepted = InvitationAccepted(
        user_id=user["id"],
        email=user["email"],
        sealed_password_hash=seal(hash_password(password), SEALING_PUBLIC_KEY),
        accepted_at=datetime.now(UTC),
    )
    event = new_event(INVITATION_ACCEPTED, source="/tests", tenant_id=tenant.id, data=accepted)
    await publish_event(amqp_url, event)
    await bus.wait_for("user.activated", subject=user["id"])
    return await tenant.login(user["email"], password)
