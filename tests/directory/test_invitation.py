"""Inviting a user (the account exists at once; `user.created` and `invitation.requested`
go out) and sending the invitation again (invited users only, not too often)."""

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from tests.support.directory import Lms, now, parse, problem


async def events_about(directory_sql: asyncpg.Pool, email: str) -> int:
    """How many events the directory wrote (to its outbox) that mention this address."""
    count: int = await directory_sql.fetchval(
        "SELECT count(*) FROM outbox WHERE position($1 in lower(body)) > 0", email.lower()
    )
    return count


async def nobody_has(lms: Lms, directory_sql: asyncpg.Pool, email: str) -> None:
    listed = await lms.admin.get("/api/v1/users", params={"email": email})
    assert listed.json()["total"] == 0
    assert await events_about(directory_sql, email) == 0


async def test_an_invited_user_exists_at_once_and_is_announced(lms: Lms) -> None:
    group = (await lms.admin.post("/api/v1/groups", json={"name": "Accueil"})).json()
    before = now()
    response = await lms.admin.post(
        "/api/v1/users/invitations",
        json={
            "email": "  Nouvelle.Recrue@example.com ",
            "first_name": " Inès ",
            "last_name": "Bélanger",
            "locale": "en",
            "group_ids": [group["id"]],
        },
    )
    assert response.status_code == 201, response.text
    user = response.json()
    assert response.headers["location"] == f"/api/v1/users/{user['id']}"
    assert response.headers["etag"] == '"1"'
    assert user["email"] == "Nouvelle.Recrue@example.com"
    assert user["first_name"] == "Inès"
    assert (user["status"], user["role"], user["version"]) == ("invited", "learner", 1)
    assert user["invitation"]["state"] == "pending"
    assert before <= parse(user["created_at"]) <= now()

    [created] = await lms.bus.wait_for("user.created", subject=user["id"])
    assert created.body["tenantid"] == str(lms.tenant.id)
    assert created.body["version"] == 1
    assert created.data["email"] == user["email"]
    assert created.data["groups"] == [{"id": group["id"], "name": "Accueil"}]
    [requested] = await lms.bus.wait_for("invitation.requested", subject=user["id"])
    assert requested.message_id == requested.body["id"]
    assert requested.data["user_id"] == user["id"]
    assert requested.data["email"] == user["email"]
    assert requested.data["locale"] == "en"
    assert requested.data["tenant_slug"] == lms.tenant.slug
    assert requested.data["requested_by"] == str(lms.tenant.admin_id)
    assert requested.data["is_resend"] is False
    assert uuid.UUID(requested.data["request_id"])
    found = await lms.admin.get("/api/v1/users", params={"email": "nouvelle.recrue"})
    assert [u["id"] for u in found.json()["items"]] == [user["id"]]


async def test_an_admin_can_be_invited(lms: Lms) -> None:
    user = await lms.invite(role="admin")
    assert user["role"] == "admin"


async def test_an_address_already_used_is_refused_whatever_its_case(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    first = await lms.invite("dup@example.com", first_name="First")
    response = await lms.admin.post(
        "/api/v1/users/invitations",
        json={"email": "DUP@Example.com", "first_name": "Second", "last_name": "Try"},
    )
    problem(response, 409, "already exists")
    listed = await lms.admin.get("/api/v1/users", params={"email": "dup@"})
    assert [u["id"] for u in listed.json()["items"]] == [first["id"]]
    assert [u["first_name"] for u in listed.json()["items"]] == ["First"]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"custom_fields": {}}, ["custom_fields.badge", "required"]),
        ({"custom_fields": {"badge": "abc"}}, ["custom_fields.badge", "number"]),
        ({"custom_fields": {"badge": 1, "shoe_size": 42}}, ["custom_fields.shoe_size"]),
        ({"custom_fields": {"badge": 1}, "group_ids": [str(uuid.uuid4())]}, ["group_ids"]),
        ({"custom_fields": {"badge": 1}, "role": "astronaut"}, ["role", "astronaut"]),
        ({"custom_fields": {"badge": 1}, "status": "active"}, ["status"]),
        ({"custom_fields": {"badge": 1}, "password_hash": "$argon2id$x"}, ["password_hash"]),
    ],
)
async def test_a_refused_invitation_leaves_no_user_and_no_event(
    lms: Lms, directory_sql: asyncpg.Pool, extra: dict[str, Any], words: list[str]
) -> None:
    field = {"key": "badge", "label": "Badge", "type": "number", "required": True}
    assert (await lms.admin.post("/api/v1/custom-fields", json=field)).status_code == 201
    email = f"refused-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "first_name": "Ref", "last_name": "Used", **extra}

    response = await lms.admin.post("/api/v1/users/invitations", json=body)

    problem(response, 422, *words)
    await nobody_has(lms, directory_sql, email)


async def test_required_fields_given_the_invitation_goes_through(lms: Lms) -> None:
    field = {"key": "badge", "label": "Badge", "type": "number", "required": True}
    assert (await lms.admin.post("/api/v1/custom-fields", json=field)).status_code == 201
    user = await lms.invite(custom_fields={"badge": "12"})
    assert user["custom_fields"] == {"badge": 12}


async def test_resending_at_once_is_too_soon(lms: Lms) -> None:
    user = await lms.invite()
    response = await lms.admin.post(f"/api/v1/users/{user['id']}/invitation/resend")
    problem(response, 429, "wait")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    profile = await lms.profile(user["id"])
    assert profile["invitation"]["resend_count"] == 0
    assert profile["version"] == user["version"]


async def a_while_ago(directory_sql: asyncpg.Pool, lms: Lms, user_id: str) -> None:
    """Let two minutes pass since the user's last invitation was requested."""
    await directory_sql.execute(
        "UPDATE users SET invitation_requested_at = invitation_requested_at - interval '2 min'"
        " WHERE tenant_id = $1 AND id = $2",
        lms.tenant.id,
        uuid.UUID(user_id),
    )


async def test_resending_requests_a_new_invitation(lms: Lms, directory_sql: asyncpg.Pool) -> None:
    user = await lms.invite()
    first_request = await lms.request_id(user["id"])
    await lms.invitation_sent(user)
    await a_while_ago(directory_sql, lms, user["id"])

    response = await lms.admin.post(f"/api/v1/users/{user['id']}/invitation/resend")

    assert response.status_code == 202, response.text
    profile = response.json()
    assert profile["invitation"]["resend_count"] == 1
    assert profile["invitation"]["state"] == "pending"
    requests = await lms.bus.wait_for("invitation.requested", subject=user["id"], count=2)
    resend = requests[-1]
    assert resend.data["is_resend"] is True
    assert resend.data["request_id"] != first_request
    assert resend.data["email"] == user["email"]
    [updated] = await lms.bus.wait_for(
        "user.updated", subject=user["id"], version=profile["version"]
    )
    assert updated.data["invitation"]["resend_count"] == 1
    activity = profile["recent_activities"][0]
    assert (activity["kind"], activity["actor_id"]) == (
        "invitation.resend_requested",
        str(lms.tenant.admin_id),
    )
    # And again at once: too soon.
    again = await lms.admin.post(f"/api/v1/users/{user['id']}/invitation/resend")
    problem(again, 429)
    assert int(again.headers["retry-after"]) >= 1


async def test_only_invited_users_can_be_invited_again(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    active, client = await lms.learner()
    await client.aclose()
    deactivated = await lms.invite()
    assert (
        await lms.admin.post(f"/api/v1/users/{deactivated['id']}/deactivate")
    ).status_code == 200
    for user in (active, deactivated):
        await a_while_ago(directory_sql, lms, user["id"])
        response = await lms.admin.post(f"/api/v1/users/{user['id']}/invitation/resend")
        body = problem(response, 409, "not accepted their invitation")
        assert body["type"] == "urn:problem:lms:rule-violation"
    problem(await lms.admin.post(f"/api/v1/users/{uuid.uuid4()}/invitation/resend"), 404)


async def test_two_invitations_of_one_address_at_once_make_one_user(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    body = {"email": "twice@example.com", "first_name": "Deux", "last_name": "Fois"}
    responses = await asyncio.gather(
        *(lms.admin.post("/api/v1/users/invitations", json=body) for _ in range(3))
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409]
    [user] = [r.json() for r in responses if r.status_code == 201]
    listed = await lms.admin.get("/api/v1/users", params={"email": "twice@"})
    assert [u["id"] for u in listed.json()["items"]] == [user["id"]]
    assert (
        await events_about(directory_sql, "twice@example.com") == 2
    )  # user.created, invitation.requested


async def test_a_double_click_on_resend_sends_one_invitation(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    user = await lms.invite()
    await a_while_ago(directory_sql, lms, user["id"])
    url = f"/api/v1/users/{user['id']}/invitation/resend"
    responses = await asyncio.gather(lms.admin.post(url), lms.admin.post(url))
    assert sorted(r.status_code for r in responses) == [202, 429]
    profile = await lms.profile(user["id"])
    assert profile["invitation"]["resend_count"] == 1
    requests = await lms.bus.wait_for("invitation.requested", subject=user["id"], count=2)
    assert [r.data["is_resend"] for r in requests] == [False, True]
