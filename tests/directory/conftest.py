"""What the directory's behaviour tests share: the bus as the other services use it, the
dead-letter queues, and a few steps (accepting an invitation, logging a learner in)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from pydantic import BaseModel

from services.directory.handlers import QUEUES
from shared.contracts.email import EmailBounced, EmailComplained, EmailDelivered
from shared.contracts.invitations import InvitationAccepted, InvitationSent
from shared.contracts.users import BounceKind
from shared.security.passwords import hash_password
from shared.security.sealing import seal
from tests.support.bus import BusSpy, Seen
from tests.support.directory import Tenant
from tests.support.events import DeadLetters, EventPublisher, drained
from tests.support.keys import SEALING_PUBLIC_KEY
from tests.support.servers import RunningServer

LEARNER_PASSWORD = "a long learner passphrase"


@pytest.fixture(scope="session")
async def events(amqp_url: str) -> AsyncIterator[EventPublisher]:
    publisher = await EventPublisher(amqp_url).start()
    yield publisher
    await publisher.stop()


@pytest.fixture(scope="session")
async def dead_letters(directory: RunningServer, amqp_url: str) -> AsyncIterator[DeadLetters]:
    """Everything the directory parks; started once its queues exist."""
    watcher = await DeadLetters(amqp_url, list(QUEUES)).start()
    yield watcher
    await watcher.stop()


@pytest.fixture(scope="session")
async def sql(directory_db: str) -> AsyncIterator[asyncpg.Pool]:
    """The directory's database, for the few things no API does: making time pass
    (back-dating a timestamp) and adding a role, which is data."""
    pool = await asyncpg.create_pool(directory_db, min_size=1, max_size=2)
    yield pool
    await pool.close()


MANAGER_ROLE = "manager"


@pytest.fixture(scope="session")
async def manager_role(sql: asyncpg.Pool) -> str:
    """A non-administrative role that may still edit, deactivate and assign roles."""
    await sql.execute(
        "INSERT INTO roles (key, is_admin, permissions, label_fr, label_en) "
        "VALUES ($1, false, $2, 'Gestionnaire', 'Manager') ON CONFLICT (key) DO NOTHING",
        MANAGER_ROLE,
        ["users:read", "users:write", "users:invite", "users:deactivate", "roles:assign"],
    )
    return MANAGER_ROLE


def now() -> datetime:
    return datetime.now(UTC)


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


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
            sealed_password_hash=seal(
                await asyncio.to_thread(hash_password, password), SEALING_PUBLIC_KEY
            ),
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


@pytest.fixture
def lms(tenant: Tenant, bus: BusSpy, events: EventPublisher, amqp_url: str) -> Lms:
    return Lms(tenant, bus, events, amqp_url)


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
