"""Deactivating and reactivating: nothing is deleted, the profile and the event say who,
when and why, the user's sessions and tokens stop working at once, and their login is
refused exactly as a wrong password is."""

import uuid
from datetime import timedelta
from typing import Any

import httpx

from shared.contracts.invitations import InvitationAccepted
from shared.contracts.lms import EnrollmentChanged
from shared.security.passwords import hash_password
from shared.security.sealing import seal
from tests.support.directory import LEARNER_PASSWORD, Lms, now, parse, problem
from tests.support.keys import SEALING_PUBLIC_KEY


async def login(lms: Lms, email: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=lms.tenant.base_url) as client:
        return await client.post(
            "/api/v1/auth/login",
            json={"tenant": lms.tenant.slug, "email": email, "password": password},
        )


def comparable(response: httpx.Response) -> tuple[int, dict[str, Any], str | None, str | None]:
    body = {k: v for k, v in response.json().items() if k != "correlation_id"}
    return (
        response.status_code,
        body,
        response.headers.get("content-type"),
        response.headers.get("www-authenticate"),
    )


async def deactivate(lms: Lms, user_id: str, reason: str | None = None) -> httpx.Response:
    body = {"reason": reason} if reason is not None else {}
    return await lms.admin.post(f"/api/v1/users/{user_id}/deactivate", json=body)


async def test_deactivation_deletes_nothing_and_says_who_when_why(lms: Lms) -> None:
    group = (await lms.admin.post("/api/v1/groups", json={"name": "Soins"})).json()
    field = {"key": "unit", "label": "Unité", "type": "text"}
    assert (await lms.admin.post("/api/v1/custom-fields", json=field)).status_code == 201
    user, client = await lms.learner(group_ids=[group["id"]], custom_fields={"unit": "3B"})
    await client.aclose()
    enrollment = EnrollmentChanged(
        user_id=uuid.UUID(user["id"]),
        course_id="c-1",
        course_title="Hygiène des mains",
        status="completed",
        progress_percent=100,
        occurred_at=now(),
    )
    await lms.publish("lms.enrollment.completed", enrollment)
    await lms.worked_off("directory.lms")
    before = await lms.profile(user["id"])
    start = now()

    response = await deactivate(lms, user["id"], "A quitté l'établissement")

    assert response.status_code == 200, response.text
    after = response.json()
    assert after["status"] == "deactivated"
    assert after["deactivation"]["by"] == str(lms.tenant.admin_id)
    assert after["deactivation"]["reason"] == "A quitté l'établissement"
    assert start <= parse(after["deactivation"]["at"]) <= now()
    for kept in ("email", "first_name", "last_name", "groups", "custom_fields", "enrollments"):
        assert after[kept] == before[kept], kept
    assert after["enrollments"][0]["status"] == "completed"
    assert after["recent_activities"][0]["kind"] == "user.deactivated"
    assert {a["id"] for a in before["recent_activities"]} <= {
        a["id"] for a in after["recent_activities"]
    }
    [event] = await lms.bus.wait_for("user.deactivated", subject=user["id"])
    assert event.body["version"] == after["version"] == before["version"] + 1
    assert event.data["status"] == "deactivated"
    assert event.data["deactivation"] == {
        "at": event.data["deactivation"]["at"],
        "by": str(lms.tenant.admin_id),
        "reason": "A quitté l'établissement",
    }
    assert parse(event.data["deactivation"]["at"]) == parse(after["deactivation"]["at"])
    assert event.data["groups"] == [{"id": group["id"], "name": "Soins"}]
    listed = await lms.admin.get("/api/v1/users", params={"status": "deactivated"})
    assert [u["id"] for u in listed.json()["items"]] == [user["id"]]


async def test_the_reason_is_optional(lms: Lms) -> None:
    user = await lms.invite()
    response = await lms.admin.post(f"/api/v1/users/{user['id']}/deactivate")
    assert response.status_code == 200, response.text
    assert response.json()["deactivation"]["reason"] is None


async def test_a_deactivated_users_session_and_token_stop_working_at_once(lms: Lms) -> None:
    user, cookie_client = await lms.learner()
    response = await login(lms, user["email"], LEARNER_PASSWORD)
    token = response.json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=lms.tenant.base_url) as anonymous:
        assert (await cookie_client.get("/api/v1/auth/me")).status_code == 200
        assert (await anonymous.get("/api/v1/auth/me", headers=bearer)).status_code == 200

        assert (await deactivate(lms, user["id"])).status_code == 200

        problem(await cookie_client.get("/api/v1/auth/me"), 401)
        problem(await cookie_client.post("/api/v1/auth/token"), 401)
        problem(await anonymous.get("/api/v1/auth/me", headers=bearer), 401)
    await cookie_client.aclose()


async def test_a_deactivated_admin_loses_the_admin_api_at_once(lms: Lms) -> None:
    other, other_client = await lms.learner(role="admin")
    assert (await other_client.get("/api/v1/users")).status_code == 200
    assert (await deactivate(lms, other["id"], "Changement de poste")).status_code == 200
    problem(await other_client.get("/api/v1/users"), 401)
    problem(await other_client.post("/api/v1/groups", json={"name": "Pirates"}), 401)
    await other_client.aclose()


async def test_their_login_is_refused_exactly_like_a_wrong_password(lms: Lms) -> None:
    user, client = await lms.learner()
    await client.aclose()
    wrong_password = await login(lms, user["email"], "not the right password")
    assert (await deactivate(lms, user["id"])).status_code == 200

    right_password = await login(lms, user["email"], LEARNER_PASSWORD)

    assert right_password.status_code == 401
    assert comparable(right_password) == comparable(wrong_password)
    assert "set-cookie" not in right_password.headers


async def test_reactivation_restores_the_account_but_not_the_old_sessions(lms: Lms) -> None:
    user, old_client = await lms.learner()
    token = (await login(lms, user["email"], LEARNER_PASSWORD)).json()["access_token"]
    assert (await deactivate(lms, user["id"], "Congé")).status_code == 200
    deactivated_version = await lms.version(user["id"])

    response = await lms.admin.post(f"/api/v1/users/{user['id']}/reactivate")

    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["status"] == "active"
    assert profile["deactivation"] is None
    assert profile["version"] == deactivated_version + 1
    [event] = await lms.bus.wait_for("user.reactivated", subject=user["id"])
    assert event.data["status"] == "active"
    assert event.data["deactivation"] is None
    assert profile["recent_activities"][0]["kind"] == "user.reactivated"
    assert profile["recent_activities"][0]["actor_id"] == str(lms.tenant.admin_id)
    # The old session and token stay dead; a new login works.
    problem(await old_client.get("/api/v1/auth/me"), 401)
    async with httpx.AsyncClient(base_url=lms.tenant.base_url) as anonymous:
        stale = {"Authorization": f"Bearer {token}"}
        problem(await anonymous.get("/api/v1/auth/me", headers=stale), 401)
    await old_client.aclose()
    new_client = await lms.tenant.login(user["email"], LEARNER_PASSWORD)
    assert (await new_client.get("/api/v1/auth/me")).json()["id"] == user["id"]
    await new_client.aclose()


async def test_an_invited_user_reactivated_is_invited_again(lms: Lms) -> None:
    user = await lms.invite()
    assert (await deactivate(lms, user["id"])).status_code == 200
    response = await lms.admin.post(f"/api/v1/users/{user['id']}/reactivate")
    assert response.json()["status"] == "invited"


async def test_an_invitation_accepted_while_deactivated_waits_for_reactivation(
    lms: Lms,
) -> None:
    user = await lms.invite()
    assert (await deactivate(lms, user["id"])).status_code == 200
    version = await lms.version(user["id"])
    accepted = InvitationAccepted(
        user_id=uuid.UUID(user["id"]),
        email=user["email"],
        sealed_password_hash=seal(hash_password(LEARNER_PASSWORD), SEALING_PUBLIC_KEY),
        accepted_at=now() - timedelta(seconds=1),
    )
    await lms.publish_and_wait("invitation.accepted", accepted, user["id"])
    profile = await lms.profile(user["id"])
    assert profile["status"] == "deactivated"
    assert profile["invitation"]["state"] == "accepted"
    assert profile["version"] == version + 1
    assert (await login(lms, user["email"], LEARNER_PASSWORD)).status_code == 401

    response = await lms.admin.post(f"/api/v1/users/{user['id']}/reactivate")

    assert response.json()["status"] == "active"
    client = await lms.tenant.login(user["email"], LEARNER_PASSWORD)
    await client.aclose()


async def test_deactivating_twice_or_reactivating_an_active_user_is_refused(lms: Lms) -> None:
    user, client = await lms.learner()
    await client.aclose()
    problem(await lms.admin.post(f"/api/v1/users/{user['id']}/reactivate"), 409, "deactivated")
    assert (await deactivate(lms, user["id"], "first")).status_code == 200
    version = await lms.version(user["id"])
    problem(await deactivate(lms, user["id"], "second"), 409, "already deactivated")
    profile = await lms.profile(user["id"])
    assert profile["deactivation"]["reason"] == "first"
    assert profile["version"] == version


async def test_bad_deactivation_requests(lms: Lms) -> None:
    user = await lms.invite()
    url = f"/api/v1/users/{user['id']}/deactivate"
    problem(await lms.admin.post(url, json={"reason": "x" * 501}), 422, "reason")
    problem(await lms.admin.post(url, json={"reason": 42}), 422, "reason")
    problem(await lms.admin.post(url, json={"why": "no"}), 422, "why")
    problem(await lms.admin.post(url, json={"reason": "ok", "by": str(uuid.uuid4())}), 422, "by")
    problem(await lms.admin.post(f"/api/v1/users/{uuid.uuid4()}/deactivate"), 404, "no such user")
    problem(await lms.admin.post(f"/api/v1/users/{uuid.uuid4()}/reactivate"), 404, "no such user")
    problem(await lms.admin.post("/api/v1/users/nobody/deactivate"), 422, "user_id")
    assert (await lms.profile(user["id"]))["status"] == "invited"
