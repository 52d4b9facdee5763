"""The suppression list: an address that bounced for good or complained is not mailed
again, and the directory shows why."""

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from shared.contracts.email import EmailBounced, EmailComplained
from shared.contracts.users import BounceKind
from tests.support.bus import BusSpy, EventPublisher, drained
from tests.support.directory import Tenant
from tests.support.invitations import SmtpSink, allow_resend, invite_and_receive
from tests.support.servers import RunningServer


async def _bounce(
    events: EventPublisher, tenant: Tenant, user: dict[str, Any], kind: BounceKind
) -> None:
    bounce = EmailBounced(
        provider="test",
        provider_event_id=uuid.uuid4().hex,
        email=user["email"],
        user_id=uuid.UUID(user["id"]),
        occurred_at=datetime.now(UTC),
        kind=kind,
        reason="550 5.1.1 mailbox does not exist",
    )
    await events.publish("email.bounced", tenant.id, bounce)


async def _resend(tenant: Tenant, directory_sql: asyncpg.Pool, user: dict[str, Any]) -> None:
    await allow_resend(directory_sql, user["id"])
    response = await tenant.admin.post(f"/api/v1/users/{user['id']}/invitation/resend")
    assert response.status_code == 202, response.text


async def test_a_hard_bounced_address_is_not_mailed_and_the_directory_says_why(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    directory_sql: asyncpg.Pool,
    amqp_url: str,
) -> None:
    user, _ = await invite_and_receive(tenant, smtp)
    await _bounce(events, tenant, user, BounceKind.HARD)
    await drained(amqp_url, "invitations.email")

    await _resend(tenant, directory_sql, user)
    [failed] = await bus.wait_for("invitation.failed", subject=user["id"])
    assert failed.data["suppressed"] is True
    assert "bounced permanently" in failed.data["reason"]
    assert "mailbox does not exist" in failed.data["reason"]
    await drained(amqp_url, "directory.invitations")
    profile = (await tenant.admin.get(f"/api/v1/users/{user['id']}")).json()
    assert profile["invitation"]["state"] == "failed"
    assert "suppression list" in profile["invitation"]["failure_reason"]
    assert len(smtp.to(user["email"])) == 1  # only the first, before the bounce


async def test_a_complaint_suppresses_the_address(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    directory_sql: asyncpg.Pool,
    amqp_url: str,
) -> None:
    user, _ = await invite_and_receive(tenant, smtp)
    complaint = EmailComplained(
        provider="test",
        provider_event_id=uuid.uuid4().hex,
        email=user["email"].upper(),
        occurred_at=datetime.now(UTC),
        feedback_type="abuse",
    )
    await events.publish("email.complained", tenant.id, complaint)
    await drained(amqp_url, "invitations.email")

    await _resend(tenant, directory_sql, user)
    [failed] = await bus.wait_for("invitation.failed", subject=user["id"])
    assert failed.data["suppressed"] is True
    assert "spam" in failed.data["reason"]
    assert len(smtp.to(user["email"])) == 1


async def test_a_soft_bounce_does_not_suppress(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    directory_sql: asyncpg.Pool,
    amqp_url: str,
) -> None:
    user, _ = await invite_and_receive(tenant, smtp)
    await _bounce(events, tenant, user, BounceKind.SOFT)
    await drained(amqp_url, "invitations.email")
    await _resend(tenant, directory_sql, user)
    await smtp.wait_for(user["email"], count=2)


async def test_suppression_stays_within_its_tenant(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    amqp_url: str,
) -> None:
    user, _ = await invite_and_receive(tenant, smtp)
    other_tenant = uuid.uuid4()
    bounce = EmailBounced(
        provider="test",
        provider_event_id=uuid.uuid4().hex,
        email=user["email"],
        occurred_at=datetime.now(UTC),
        kind=BounceKind.HARD,
        reason="550 gone",
    )
    await events.publish("email.bounced", other_tenant, bounce)
    await drained(amqp_url, "invitations.email")
    response = await tenant.admin.post(
        "/api/v1/users/invitations",
        json={"email": f"second-{user['email']}", "first_name": "A", "last_name": "B"},
    )
    assert response.status_code == 201
    await smtp.wait_for(f"second-{user['email']}")
