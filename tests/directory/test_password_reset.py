"""Forgotten passwords (issue 9.3), the directory's side: anyone may ask and always gets
the same answer; only an active account is sent a link (`password_reset.requested`);
asking is throttled, for unknown tenants and accounts too; an admin can send one from
the profile; the new password (`password_reset.completed`) ends every session."""

import asyncio
import itertools
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx

from shared.contracts.accounts import PasswordResetCompleted
from tests.support.bus import BusSpy, EventPublisher, drained
from tests.support.directory import Tenant, activate, sealed_hash
from tests.support.servers import RunningServer

_addresses = itertools.count(1)


def new_address() -> str:
    n = next(_addresses) + 1000 * (uuid.uuid4().int % 60)
    return f"10.77.{n // 256 % 256}.{n % 256}"


async def ask(base_url: str, tenant: str, email: str, address: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url) as client:
        return await client.post(
            "/api/v1/auth/password-reset",
            json={"tenant": tenant, "email": email},
            headers={"X-Forwarded-For": address},
        )


async def reset_requests_for(directory_sql: asyncpg.Pool, user_id: object) -> int:
    """`password_reset.requested` the directory wrote (its outbox) for this user."""
    count: int = await directory_sql.fetchval(
        "SELECT count(*) FROM outbox WHERE routing_key = 'password_reset.requested'"
        " AND body::jsonb ->> 'subject' = $1",
        str(user_id),
    )
    return count


async def test_everyone_gets_the_same_answer_and_only_an_active_account_a_link(
    tenant: Tenant,
    directory: RunningServer,
    events: EventPublisher,
    bus: BusSpy,
    directory_sql: asyncpg.Pool,
) -> None:
    invited = await tenant.invite()
    deactivated = await tenant.invite()
    client = await activate(events, bus, tenant, deactivated, "a learner passphrase")
    await client.aclose()
    await tenant.admin.post(f"/api/v1/users/{deactivated['id']}/deactivate", json={})

    asked = {
        "active": (tenant.slug, tenant.admin_email.upper()),
        "unknown e-mail": (tenant.slug, "nobody@example.com"),
        "unknown tenant": (f"no-such-{uuid.uuid4().hex[:6]}", tenant.admin_email),
        "invited": (tenant.slug, invited["email"]),
        "deactivated": (tenant.slug, deactivated["email"]),
    }
    answers = {}
    for reason, (slug, email) in asked.items():
        response = await ask(directory.url, slug, email, new_address())
        answers[reason] = (response.status_code, response.text)
    assert len(set(answers.values())) == 1, answers
    assert next(iter(answers.values()))[0] == 202

    [requested] = await bus.wait_for("password_reset.requested", subject=str(tenant.admin_id))
    assert requested.data["email"] == tenant.admin_email
    assert requested.data["locale"] == "fr"
    assert requested.data["tenant_slug"] == tenant.slug
    assert requested.data["requested_by"] is None
    assert await reset_requests_for(directory_sql, invited["id"]) == 0
    assert await reset_requests_for(directory_sql, deactivated["id"]) == 0


async def test_asking_is_throttled_whether_or_not_the_account_exists(
    tenant: Tenant, directory: RunningServer, directory_sql: asyncpg.Pool
) -> None:
    for slug, email in (
        (tenant.slug, tenant.admin_email),
        (tenant.slug, "ghost@example.com"),
        (f"no-such-{uuid.uuid4().hex[:6]}", "ghost@example.com"),
    ):
        address = new_address()
        statuses = [(await ask(directory.url, slug, email, address)).status_code for _ in range(4)]
        assert statuses == [202, 202, 202, 429], (slug, email)
    assert await reset_requests_for(directory_sql, tenant.admin_id) == 3

    throttled = await ask(directory.url, tenant.slug, tenant.admin_email, new_address())
    assert throttled.status_code == 202, "another client may still ask"


async def test_an_admin_sends_a_reset_from_the_profile(
    tenant: Tenant, events: EventPublisher, bus: BusSpy
) -> None:
    learner = await tenant.invite()
    invited = await tenant.invite()
    client = await activate(events, bus, tenant, learner, "a learner passphrase")

    sent = await tenant.admin.post(f"/api/v1/users/{learner['id']}/password-reset")
    assert sent.status_code == 202, sent.text
    assert learner["email"] in sent.json()["detail"]
    [requested] = await bus.wait_for("password_reset.requested", subject=learner["id"])
    assert requested.data["requested_by"] == str(tenant.admin_id)

    refused = await tenant.admin.post(f"/api/v1/users/{invited['id']}/password-reset")
    assert refused.status_code == 409
    assert "active" in refused.json()["detail"]
    assert (await client.post(f"/api/v1/users/{learner['id']}/password-reset")).status_code == 403
    await client.aclose()
    activity = (await tenant.admin.get(f"/api/v1/users/{learner['id']}/activities")).json()
    assert "password_reset.requested" in [item["kind"] for item in activity["items"]]


async def test_the_new_password_ends_every_session(
    tenant: Tenant,
    directory: RunningServer,
    events: EventPublisher,
    bus: BusSpy,
    amqp_url: str,
) -> None:
    user = await tenant.invite()
    phone = await activate(events, bus, tenant, user, "the old passphrase")
    laptop = await tenant.login(user["email"], "the old passphrase")
    assert (await laptop.get("/api/v1/auth/me")).status_code == 200

    completed = PasswordResetCompleted(
        request_id=uuid.uuid4(),
        user_id=user["id"],
        email=user["email"],
        sealed_password_hash=await asyncio.to_thread(sealed_hash, "  the new passphrase "),
        completed_at=datetime.now(UTC),
    )
    await events.publish("password_reset.completed", tenant.id, completed, subject=user["id"])
    await drained(amqp_url, "directory.invitations")

    for client in (phone, laptop):
        assert (await client.get("/api/v1/auth/me")).status_code == 401
        await client.aclose()
    async with httpx.AsyncClient(base_url=directory.url) as stranger:
        old = await stranger.post(
            "/api/v1/auth/login",
            json={"tenant": tenant.slug, "email": user["email"], "password": "the old passphrase"},
            headers={"X-Forwarded-For": new_address()},
        )
    assert old.status_code == 401
    fresh = await tenant.login(user["email"], "  the new passphrase ")
    await fresh.aclose()
    assert (await tenant.admin.get("/api/v1/auth/me")).status_code == 200, "others live on"
    activity = (await tenant.admin.get(f"/api/v1/users/{user['id']}/activities")).json()
    assert "password_reset.completed" in [item["kind"] for item in activity["items"]]
