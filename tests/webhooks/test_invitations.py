"""Zapier's "Invite User": `POST /api/v1/integrations/invitations` on the webhooks service
asks the directory over the bus (request/reply), acting as the administrator who created
the API key. The real directory, webhooks service and RabbitMQ of the run."""

import asyncio
import time
import uuid
from typing import Any

import pytest

from services.directory.settings import DirectorySettings
from tests.support.directory import Lms, new_tenant, problem
from tests.support.infra import Infrastructure
from tests.support.servers import RunningServer
from tests.support.webhooks import (
    WebhooksStack,
)
from tests.webhooks.zapier import INVITATIONS, Zapier, key_of, webhooks_without_directory

WAITING = 4  # requests waiting for a directory that does not answer, each for 1 s


async def users_with_email(lms: Lms, email: str) -> list[dict[str, Any]]:
    response = await lms.admin.get("/api/v1/users", params={"limit": 200})
    assert response.status_code == 200, response.text
    return [u for u in response.json()["items"] if u["email"].lower() == email.lower()]


# --- what the action does ------------------------------------------------------------------


async def test_an_api_key_invites_a_user_who_gets_the_invitation_email(zapier: Zapier) -> None:
    response = await zapier.invite("Lea.Fortin+zap@example.com", locale="en")

    assert response.status_code == 201, response.text
    user = response.json()
    assert user["event"] == "user.created"
    assert user["email"] == "Lea.Fortin+zap@example.com"
    assert (user["first_name"], user["last_name"], user["full_name"]) == (
        "Léa",
        "Fortin",
        "Léa Fortin",
    )
    assert (user["status"], user["role"], user["locale"]) == ("invited", "learner", "en")
    assert user["tenant_id"] == str(zapier.lms.tenant.id)
    profile = await zapier.lms.profile(user["user_id"])
    assert (profile["email"], profile["status"]) == (user["email"], "invited")
    [requested] = await zapier.lms.bus.wait_for("invitation.requested", subject=user["user_id"])
    assert requested.data["requested_by"] == str(zapier.lms.tenant.admin_id)
    activities = (await zapier.lms.admin.get(f"/api/v1/users/{user['user_id']}/activities")).json()
    [invited] = [a for a in activities["items"] if a["kind"] == "user.invited"]
    assert invited["details"]["via"] == f"API key {zapier.key['prefix']}"


async def test_the_fields_of_the_admins_form_are_taken(zapier: Zapier) -> None:
    group = await zapier.lms.admin.post("/api/v1/groups", json={"name": "Zapier newcomers"})
    assert group.status_code == 201, group.text

    response = await zapier.invite(phone="+1 514 555 0199", group_ids=[group.json()["id"]])

    assert response.status_code == 201, response.text
    user = response.json()
    assert user["phone"] == "+1 514 555 0199"
    assert user["groups"] == ["Zapier newcomers"]
    assert user["locale"] == "fr", "the tenant's locale by default"


async def test_an_email_already_in_the_directory_is_a_conflict(zapier: Zapier) -> None:
    taken = await zapier.lms.invite()

    response = await zapier.invite(taken["email"].upper())

    problem(response, 409, "already exists")
    assert len(await users_with_email(zapier.lms, taken["email"])) == 1


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"email": "not-an-address"}, ["email"]),
        ({"first_name": ""}, ["first_name"]),
        ({"status": "active"}, ["status"]),  # no field the admin's form does not have
        ({"locale": "de"}, ["locale"]),
    ],
)
async def test_bad_input_is_refused_before_asking_the_directory(
    zapier: Zapier, fields: dict[str, Any], words: list[str]
) -> None:
    response = await zapier.invite(**fields)

    body = problem(response, 422)
    assert any(all(w in str(e) for w in words) for e in body["errors"]), body


async def test_what_only_the_directory_knows_is_refused_with_its_words(zapier: Zapier) -> None:
    no_role = await zapier.invite(role="astronaut")
    no_group = await zapier.invite(group_ids=[str(uuid.uuid4())])

    problem(no_role, 422, "role", "astronaut")
    problem(no_group, 422, "group_ids", "no such group")


async def test_an_admin_with_an_access_token_invites_as_themselves(zapier: Zapier) -> None:
    email = f"by-token-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "first_name": "Léa", "last_name": "Fortin"}

    response = await zapier.admin.post(INVITATIONS, json=body)

    assert response.status_code == 201, response.text
    user_id = response.json()["user_id"]
    [requested] = await zapier.lms.bus.wait_for("invitation.requested", subject=user_id)
    assert requested.data["requested_by"] == str(zapier.lms.tenant.admin_id)


# --- who may -------------------------------------------------------------------------------


async def test_no_integration_invites_an_administrator(zapier: Zapier) -> None:
    """An API key lives in another system: one that leaked must not let its holder make
    themselves an administrator, even when the key's creator may grant the role."""
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"

    by_key = await zapier.invite(email, role="admin")
    by_token = await zapier.admin.post(
        INVITATIONS, json={"email": email, "first_name": "A", "last_name": "B", "role": "admin"}
    )

    problem(by_key, 403, "administrative role")
    problem(by_token, 403, "administrative role")
    assert await users_with_email(zapier.lms, email) == []


async def test_a_revoked_key_invites_no_one_at_once(zapier: Zapier) -> None:
    revoked = await zapier.admin.delete(f"/api/v1/api-keys/{zapier.key['id']}")
    assert revoked.status_code == 204
    email = f"late-{uuid.uuid4().hex[:8]}@example.com"

    response = await zapier.invite(email)

    problem(response, 401, "revoked")
    assert await users_with_email(zapier.lms, email) == []


async def other_admins_key(
    zapier: Zapier, webhooks_stack: WebhooksStack
) -> tuple[dict[str, Any], Zapier]:
    """A second administrator of the tenant, and an API key they made."""
    other, directory_client = await zapier.lms.learner(role="admin")
    admin, client, key = await key_of(directory_client, webhooks_stack.url)
    await directory_client.aclose()
    return other, Zapier(zapier.lms, admin, client, key)


async def test_the_key_of_a_deactivated_admin_invites_no_one(
    zapier: Zapier, webhooks_stack: WebhooksStack
) -> None:
    other, their_zapier = await other_admins_key(zapier, webhooks_stack)
    assert (await their_zapier.invite()).status_code == 201
    deactivated = await zapier.lms.admin.post(f"/api/v1/users/{other['id']}/deactivate", json={})
    assert deactivated.status_code == 200, deactivated.text
    email = f"after-{uuid.uuid4().hex[:8]}@example.com"

    response = await their_zapier.invite(email)

    problem(response, 403, "no longer an active user", "new API key")
    assert await users_with_email(zapier.lms, email) == []


async def test_the_key_of_a_demoted_admin_invites_no_one(
    zapier: Zapier, webhooks_stack: WebhooksStack
) -> None:
    other, their_zapier = await other_admins_key(zapier, webhooks_stack)
    version = await zapier.lms.version(other["id"])
    demoted = await zapier.lms.admin.patch(
        f"/api/v1/users/{other['id']}",
        json={"role": "learner"},
        headers={"If-Match": f'"{version}"'},
    )
    assert demoted.status_code == 200, demoted.text

    response = await their_zapier.invite()

    problem(response, 403, "may no longer invite")


async def test_a_key_invites_into_its_own_tenant_only(
    zapier: Zapier, directory: RunningServer, directory_config: DirectorySettings
) -> None:
    other = await new_tenant(directory_config, directory.url, "other")
    email = f"shared-{uuid.uuid4().hex[:8]}@example.com"
    try:
        response = await zapier.invite(email)
        assert response.status_code == 201, response.text
        assert response.json()["tenant_id"] == str(zapier.lms.tenant.id)
        seen_by_other = (await other.admin.get("/api/v1/users", params={"limit": 200})).json()
        assert email not in [u["email"] for u in seen_by_other["items"]]
        assert (
            await other.admin.get(f"/api/v1/users/{response.json()['user_id']}")
        ).status_code == 404
        await other.invite(email)  # the address is still free in the other tenant
    finally:
        await other.admin.aclose()


# --- once per request ----------------------------------------------------------------------


async def test_the_same_idempotency_key_twice_invites_once(zapier: Zapier) -> None:
    email = f"retry-{uuid.uuid4().hex[:8]}@example.com"
    retry = {"Idempotency-Key": f"zap-run-{uuid.uuid4()}"}

    first = await zapier.invite(email, headers=retry)
    again = await zapier.invite(email, headers=retry)

    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json()["user_id"] == first.json()["user_id"]
    assert len(await users_with_email(zapier.lms, email)) == 1
    await asyncio.sleep(0.5)  # the relay would have published a second request by now
    assert (
        len(zapier.lms.bus.matching("invitation.requested", subject=first.json()["user_id"])) == 1
    )


async def test_the_same_idempotency_key_at_the_same_time_invites_once(zapier: Zapier) -> None:
    email = f"race-{uuid.uuid4().hex[:8]}@example.com"
    retry = {"Idempotency-Key": f"zap-run-{uuid.uuid4()}"}

    answers = await asyncio.gather(*(zapier.invite(email, headers=retry) for _ in range(3)))

    assert [a.status_code for a in answers] == [201, 201, 201], [a.text for a in answers]
    assert len({a.json()["user_id"] for a in answers}) == 1
    assert len(await users_with_email(zapier.lms, email)) == 1


async def test_an_idempotency_key_reused_for_another_user_is_refused(zapier: Zapier) -> None:
    retry = {"Idempotency-Key": "the-zap-id-mapped-by-mistake"}
    first = await zapier.invite(headers=retry)
    assert first.status_code == 201, first.text
    email = f"second-{uuid.uuid4().hex[:8]}@example.com"

    response = await zapier.invite(email, headers=retry)

    problem(response, 422, "already used", first.json()["email"], "unique to each user")
    assert await users_with_email(zapier.lms, email) == []


async def test_without_an_idempotency_key_a_second_request_is_a_conflict(zapier: Zapier) -> None:
    email = f"twice-{uuid.uuid4().hex[:8]}@example.com"

    assert (await zapier.invite(email)).status_code == 201
    problem(await zapier.invite(email), 409, "already exists")


# --- when the directory can't answer -------------------------------------------------------


async def test_no_directory_answering_is_503_not_a_hang_or_a_500(
    infra: Infrastructure, jwt_keys: tuple[str, str], zapier: Zapier
) -> None:
    async with webhooks_without_directory(infra, jwt_keys, zapier, "nodirectory") as admin:
        body = {"email": "nobody@example.com", "first_name": "A", "last_name": "B"}
        started = time.monotonic()
        responses = await asyncio.gather(
            *(admin.post(INVITATIONS, json=body) for _ in range(WAITING))
        )
        waited = time.monotonic() - started

    for response in responses:
        problem(response, 503, "did not answer", "try again")
    # Each waits at most its own second, not its turn behind the others' (WAITING seconds).
    assert waited < WAITING - 1, waited


async def test_a_broker_that_is_away_is_503(
    infra: Infrastructure, jwt_keys: tuple[str, str], zapier: Zapier
) -> None:
    async with webhooks_without_directory(
        infra, jwt_keys, zapier, "nobroker", broker_away=True
    ) as admin:
        response = await admin.post(
            INVITATIONS, json={"email": "nobody@example.com", "first_name": "A", "last_name": "B"}
        )

    problem(response, 503, "broker", "try again")
