"""PATCH /api/v1/users/{id}: each field, optimistic concurrency, the `user.updated` event
with the full snapshot, e-mail changes, and what a body may not set."""

import asyncio
from typing import Any

import pytest

from shared.contracts.users import BounceKind, UserSnapshot
from tests.support.directory import Lms, problem


async def patch(lms: Lms, user_id: str, body: dict[str, Any], version: int | None = None) -> Any:
    version = await lms.version(user_id) if version is None else version
    return await lms.admin.patch(
        f"/api/v1/users/{user_id}", json=body, headers={"If-Match": f'"{version}"'}
    )


def snapshot_matches_profile(snapshot: dict[str, Any], profile: dict[str, Any]) -> None:
    assert set(snapshot) == set(UserSnapshot.model_fields)
    for key in ("id", "email", "first_name", "last_name", "phone", "locale", "role", "status",
                "groups", "version"):  # fmt: skip
        assert snapshot[key] == profile[key], key
    assert {f["key"]: f["value"] for f in snapshot["custom_fields"]} == profile["custom_fields"]


async def _setup_fields(lms: Lms) -> dict[str, str]:
    for field in (
        {"key": "team", "label": "Équipe", "type": "text"},
        {"key": "level", "label": "Niveau", "type": "choice", "choices": ["junior", "senior"]},
    ):
        assert (await lms.admin.post("/api/v1/custom-fields", json=field)).status_code == 201
    groups = {}
    for name in ("Alpha", "Beta"):
        groups[name] = (await lms.admin.post("/api/v1/groups", json={"name": name})).json()["id"]
    return groups


CHANGES: list[tuple[str, dict[str, Any], str]] = [
    ("first name", {"first_name": "Marie-Ève"}, "first_name"),
    ("last name", {"last_name": "Lavoie"}, "last_name"),
    ("phone", {"phone": "+1 (819) 555-0142"}, "phone"),
    ("phone cleared", {"phone": None}, "phone"),
    ("locale", {"locale": "en"}, "locale"),
    ("e-mail", {"email": "new.address@example.org"}, "email"),
    ("role", {"role": "admin"}, "role"),
    ("groups", {"group_ids": ["Alpha", "Beta"]}, "groups"),
    ("custom fields", {"custom_fields": {"team": "Ventes", "level": "senior"}}, "custom_fields"),
    ("custom field cleared", {"custom_fields": {"team": None}}, "custom_fields"),
]


@pytest.mark.parametrize(("body", "changed"), [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES])
async def test_each_field_can_be_changed(lms: Lms, body: dict[str, Any], changed: str) -> None:
    groups = await _setup_fields(lms)
    user = await lms.invite(
        phone="514 555 0101",
        group_ids=[groups["Alpha"]],
        custom_fields={"team": "Soutien", "level": "junior"},
    )
    if "group_ids" in body:
        body = {"group_ids": [groups[name] for name in body["group_ids"]]}
    version = user["version"]

    response = await patch(lms, user["id"], body, version)

    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["version"] == version + 1
    assert response.headers["etag"] == f'"{version + 1}"'
    if changed == "groups":
        assert {g["name"] for g in profile["groups"]} == {"Alpha", "Beta"}
    elif changed == "custom_fields":
        expected = {"team": "Soutien", "level": "junior"} | body["custom_fields"]
        assert profile["custom_fields"] == {k: v for k, v in expected.items() if v is not None}
    else:
        assert profile[changed] == next(iter(body.values()))
    assert profile == await lms.profile(user["id"])
    [event] = await lms.bus.wait_for("user.updated", subject=user["id"], version=version + 1)
    snapshot_matches_profile(event.data, profile)
    assert profile["recent_activities"][0]["kind"] == "user.updated"
    assert profile["recent_activities"][0]["details"]["changed"] == [changed]


async def test_several_fields_at_once_bump_the_version_once(lms: Lms) -> None:
    user = await lms.invite()
    response = await patch(
        lms, user["id"], {"first_name": "Jeanne", "last_name": "Mance", "locale": "en"}
    )
    profile = response.json()
    assert (profile["first_name"], profile["last_name"], profile["locale"]) == (
        "Jeanne",
        "Mance",
        "en",
    )
    assert profile["version"] == user["version"] + 1
    [event] = await lms.bus.wait_for("user.updated", subject=user["id"], version=profile["version"])
    assert event.data["first_name"] == "Jeanne"


async def test_every_field_at_once_bumps_the_version_once(lms: Lms) -> None:
    groups = await _setup_fields(lms)
    user = await lms.invite()
    body = {
        "first_name": "Jeanne",
        "email": "jeanne.mance@example.org",
        "role": "admin",
        "group_ids": [groups["Beta"]],
        "custom_fields": {"level": "senior"},
    }
    response = await patch(lms, user["id"], body, user["version"])
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["version"] == user["version"] + 1
    [event] = await lms.bus.wait_for("user.updated", subject=user["id"], version=profile["version"])
    snapshot_matches_profile(event.data, profile)
    changed = profile["recent_activities"][0]["details"]["changed"]
    assert sorted(changed) == ["custom_fields", "email", "first_name", "groups", "role"]


async def test_the_version_may_be_sent_in_the_body(lms: Lms) -> None:
    user = await lms.invite()
    response = await lms.admin.patch(
        f"/api/v1/users/{user['id']}", json={"first_name": "Rose", "version": user["version"]}
    )
    assert response.status_code == 200
    assert response.json()["version"] == user["version"] + 1


async def test_a_weak_etag_is_accepted_as_if_match(lms: Lms) -> None:
    user = await lms.invite()
    response = await lms.admin.patch(
        f"/api/v1/users/{user['id']}",
        json={"first_name": "Rose"},
        headers={"If-Match": f'W/"{user["version"]}"'},
    )
    assert response.status_code == 200


async def test_a_stale_version_is_refused_and_nothing_is_overwritten(lms: Lms) -> None:
    user = await lms.invite(first_name="Anne")
    stale = user["version"]
    assert (await patch(lms, user["id"], {"first_name": "Béatrice"}, stale)).status_code == 200

    response = await patch(lms, user["id"], {"first_name": "Chloé"}, stale)

    problem(response, 412, "changed meanwhile")
    profile = await lms.profile(user["id"])
    assert profile["first_name"] == "Béatrice"
    assert profile["version"] == stale + 1


async def test_a_change_without_the_version_is_refused(lms: Lms) -> None:
    user = await lms.invite(first_name="Anne")
    response = await lms.admin.patch(f"/api/v1/users/{user['id']}", json={"first_name": "Zoé"})
    problem(response, 428, "If-Match")
    assert (await lms.profile(user["id"]))["first_name"] == "Anne"


async def test_two_admins_changing_at_once_one_wins_the_other_is_told(lms: Lms) -> None:
    user = await lms.invite(first_name="Anne")
    second = await lms.tenant.login(lms.tenant.admin_email, "correct horse battery staple")
    version = user["version"]
    try:
        responses = await asyncio.gather(
            lms.admin.patch(
                f"/api/v1/users/{user['id']}",
                json={"first_name": "Première"},
                headers={"If-Match": f'"{version}"'},
            ),
            second.patch(
                f"/api/v1/users/{user['id']}",
                json={"first_name": "Seconde"},
                headers={"If-Match": f'"{version}"'},
            ),
        )
    finally:
        await second.aclose()
    assert sorted(r.status_code for r in responses) == [200, 412]
    winner = next(r for r in responses if r.status_code == 200).json()
    profile = await lms.profile(user["id"])
    assert profile["first_name"] == winner["first_name"]
    assert profile["version"] == version + 1


async def test_a_change_to_the_same_values_changes_nothing(lms: Lms) -> None:
    user = await lms.invite(first_name="Anne", last_name="Hébert")
    response = await patch(
        lms, user["id"], {"first_name": "Anne", "last_name": "Hébert", "locale": user["locale"]}
    )
    assert response.status_code == 200
    assert response.json()["version"] == user["version"]
    kinds = [a["kind"] for a in response.json()["recent_activities"]]
    assert "user.updated" not in kinds


async def test_a_new_address_clears_the_orange_envelope(lms: Lms) -> None:
    user = await lms.invite()
    sent = await lms.invitation_sent(user)
    await lms.publish_and_wait(
        "email.bounced", lms.bounce(user, BounceKind.HARD, message_id=sent.message_id), user["id"]
    )
    assert (await lms.profile(user["id"]))["envelope"] == "orange"

    response = await patch(lms, user["id"], {"email": "fixed.address@example.org"})

    profile = response.json()
    assert profile["email"] == "fixed.address@example.org"
    assert profile["envelope"] != "orange"
    assert profile["email_status"] == {
        "state": "ok",
        "bounce_kind": None,
        "reason": None,
        "changed_at": None,
        "delivered_at": None,
    }
    [event] = await lms.bus.wait_for("user.updated", subject=user["id"], version=profile["version"])
    assert event.data["email_status"]["state"] == "ok"
    # A late bounce about the old address no longer marks the user.
    late = lms.bounce(user, BounceKind.HARD, message_id=sent.message_id)
    await lms.publish("email.bounced", late, subject=user["id"])
    await lms.worked_off("directory.email")
    assert (await lms.profile(user["id"]))["email_status"]["state"] == "ok"


async def test_an_address_in_use_is_refused(lms: Lms) -> None:
    taken = await lms.invite("taken@example.com")
    user = await lms.invite("mine@example.com")
    response = await patch(lms, user["id"], {"email": "TAKEN@example.com"})
    problem(response, 409, "already exists")
    assert (await lms.profile(user["id"]))["email"] == "mine@example.com"
    assert (await lms.profile(taken["id"]))["email"] == "taken@example.com"


async def test_the_same_address_in_another_case_keeps_the_envelope(lms: Lms) -> None:
    user = await lms.invite("casey@example.com")
    await lms.publish_and_wait("email.complained", lms.complaint(user), user["id"])
    response = await patch(lms, user["id"], {"email": "Casey@example.com"})
    assert response.status_code == 200
    assert response.json()["email"] == "Casey@example.com"
    assert response.json()["envelope"] == "orange"


@pytest.mark.parametrize(
    "body",
    [
        {"status": "active"},
        {"id": "00000000-0000-0000-0000-000000000001"},
        {"tenant_id": "00000000-0000-0000-0000-000000000001"},
        {"password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"},
        {"first_name": "Ok", "status": "deactivated"},
        {"created_at": "2020-01-01T00:00:00Z"},
        {"last_login_at": "2020-01-01T00:00:00Z"},
        {"invitation_state": "accepted"},
        {"email_state": "ok"},
    ],
)
async def test_fields_nobody_may_set_are_refused(lms: Lms, body: dict[str, Any]) -> None:
    user = await lms.invite(first_name="Anne")
    response = await patch(lms, user["id"], body)
    forbidden = next(k for k in body if k != "first_name")
    problem(response, 422, forbidden)
    profile = await lms.profile(user["id"])
    assert (profile["first_name"], profile["status"], profile["version"]) == (
        "Anne",
        "invited",
        user["version"],
    )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"first_name": None}, ["first_name", "null"]),
        ({"last_name": ""}, ["last_name"]),
        ({"first_name": "x" * 101}, ["first_name"]),
        ({"locale": "de"}, ["locale"]),
        ({"email": "not-an-address"}, ["email"]),
        ({"email": None}, ["email"]),
        ({"phone": "call me maybe"}, ["phone"]),
        ({"role": "astronaut"}, ["role", "astronaut"]),
        ({"role": None}, ["role"]),
        ({"group_ids": ["00000000-0000-0000-0000-000000000001"]}, ["group_ids", "no such group"]),
        ({"group_ids": ["not-a-uuid"]}, ["group_ids"]),
        ({"group_ids": None}, ["group_ids"]),
        ({"custom_fields": {"nope": 1}}, ["custom_fields.nope"]),
        ({"custom_fields": "team=x"}, ["custom_fields"]),
    ],
)
async def test_bad_changes_are_refused_saying_why(
    lms: Lms, body: dict[str, Any], words: list[str]
) -> None:
    user = await lms.invite(first_name="Anne")
    response = await patch(lms, user["id"], body)
    problem(response, 422, *words)
    profile = await lms.profile(user["id"])
    assert (profile["first_name"], profile["version"]) == ("Anne", user["version"])


async def test_if_match_must_be_a_version(lms: Lms) -> None:
    user = await lms.invite()
    response = await lms.admin.patch(
        f"/api/v1/users/{user['id']}", json={"first_name": "X"}, headers={"If-Match": "abc"}
    )
    problem(response, 422, "If-Match")


async def test_changing_an_unknown_user(lms: Lms) -> None:
    response = await lms.admin.patch(
        "/api/v1/users/00000000-0000-0000-0000-000000000001",
        json={"first_name": "X"},
        headers={"If-Match": '"1"'},
    )
    problem(response, 404, "no such user")
