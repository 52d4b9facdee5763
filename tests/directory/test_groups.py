"""Groups: create, list, rename, delete, membership; every change to what a member's
snapshot shows (a rename, a deletion, joining, leaving) publishes that member again."""

import asyncio
import uuid
from typing import Any

import pytest

from tests.support.directory import Lms, problem


async def create(lms: Lms, name: str) -> dict[str, Any]:
    response = await lms.admin.post("/api/v1/groups", json={"name": name})
    assert response.status_code == 201, response.text
    group: dict[str, Any] = response.json()
    return group


async def listing(lms: Lms) -> list[dict[str, Any]]:
    response = await lms.admin.get("/api/v1/groups")
    assert response.status_code == 200
    groups: list[dict[str, Any]] = response.json()
    return groups


async def test_create_list_rename_delete(lms: Lms) -> None:
    soins = await create(lms, "Soins intensifs")
    urgence = await create(lms, "  Urgence ")
    assert (soins["name"], soins["member_count"]) == ("Soins intensifs", 0)
    assert urgence["name"] == "Urgence"
    await lms.invite(group_ids=[soins["id"]])
    await lms.invite(group_ids=[soins["id"]])

    groups = await listing(lms)
    assert [(g["name"], g["member_count"]) for g in groups] == [
        ("Soins intensifs", 2),
        ("Urgence", 0),
    ]

    response = await lms.admin.patch(f"/api/v1/groups/{urgence['id']}", json={"name": "Accueil"})
    assert response.status_code == 200
    assert response.json()["name"] == "Accueil"
    assert [g["name"] for g in await listing(lms)] == ["Accueil", "Soins intensifs"]

    response = await lms.admin.delete(f"/api/v1/groups/{urgence['id']}")
    assert response.status_code == 204
    assert [g["id"] for g in await listing(lms)] == [soins["id"]]


async def test_names_are_unique_whatever_their_case(lms: Lms) -> None:
    first = await create(lms, "Cuisine")
    other = await create(lms, "Entretien")
    problem(await lms.admin.post("/api/v1/groups", json={"name": "CUISINE"}), 409, "already")
    response = await lms.admin.patch(f"/api/v1/groups/{other['id']}", json={"name": "cuisine"})
    problem(response, 409, "already exists")
    # A group may change the case of its own name.
    response = await lms.admin.patch(f"/api/v1/groups/{first['id']}", json={"name": "CUISINE"})
    assert response.status_code == 200
    assert sorted(g["name"] for g in await listing(lms)) == ["CUISINE", "Entretien"]


async def test_concurrent_creation_of_one_name_makes_one_group(lms: Lms) -> None:
    responses = await asyncio.gather(
        *(lms.admin.post("/api/v1/groups", json={"name": "Pharmacie"}) for _ in range(5))
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    assert [g["name"] for g in await listing(lms)] == ["Pharmacie"]


async def test_joining_and_leaving_a_group(lms: Lms) -> None:
    group = await create(lms, "Laboratoire")
    user = await lms.invite()
    url = f"/api/v1/groups/{group['id']}/members/{user['id']}"

    assert (await lms.admin.put(url)).status_code == 204
    profile = await lms.profile(user["id"])
    assert profile["groups"] == [{"id": group["id"], "name": "Laboratoire"}]
    assert profile["version"] == user["version"] + 1
    [joined] = await lms.bus.wait_for(
        "user.updated", subject=user["id"], version=user["version"] + 1
    )
    assert joined.data["groups"] == [{"id": group["id"], "name": "Laboratoire"}]

    assert (await lms.admin.put(url)).status_code == 204  # already a member: no change
    assert await lms.version(user["id"]) == user["version"] + 1
    assert (await listing(lms))[0]["member_count"] == 1

    assert (await lms.admin.delete(url)).status_code == 204
    profile = await lms.profile(user["id"])
    assert profile["groups"] == []
    [left] = await lms.bus.wait_for("user.updated", subject=user["id"], version=user["version"] + 2)
    assert left.data["groups"] == []

    assert (await lms.admin.delete(url)).status_code == 204  # not a member: no change
    assert await lms.version(user["id"]) == user["version"] + 2


async def test_joining_many_groups_at_once(lms: Lms) -> None:
    groups = [await create(lms, f"Équipe {i}") for i in range(6)]
    user = await lms.invite()

    responses = await asyncio.gather(
        *(lms.admin.put(f"/api/v1/groups/{g['id']}/members/{user['id']}") for g in groups)
    )

    assert [r.status_code for r in responses] == [204] * 6, [r.text for r in responses]
    profile = await lms.profile(user["id"])
    assert {g["id"] for g in profile["groups"]} == {g["id"] for g in groups}
    assert profile["version"] == user["version"] + 6
    last = await lms.bus.wait_for("user.updated", subject=user["id"], version=profile["version"])
    assert len(last[-1].data["groups"]) == 6


async def test_renaming_a_group_republishes_its_members(lms: Lms) -> None:
    group = await create(lms, "Radiologie")
    members = [await lms.invite(group_ids=[group["id"]]) for _ in range(3)]
    outsider = await lms.invite()

    response = await lms.admin.patch(f"/api/v1/groups/{group['id']}", json={"name": "Imagerie"})

    assert response.status_code == 200
    assert response.json()["member_count"] == 3
    for member in members:
        [event] = await lms.bus.wait_for(
            "user.updated", subject=member["id"], version=member["version"] + 1
        )
        assert event.data["groups"] == [{"id": group["id"], "name": "Imagerie"}]
        assert (await lms.profile(member["id"]))["groups"][0]["name"] == "Imagerie"
    assert await lms.version(outsider["id"]) == outsider["version"]


async def test_deleting_a_group_republishes_its_members(lms: Lms) -> None:
    kept = await create(lms, "Garde")
    gone = await create(lms, "Nuit")
    members = [await lms.invite(group_ids=[kept["id"], gone["id"]]) for _ in range(2)]

    assert (await lms.admin.delete(f"/api/v1/groups/{gone['id']}")).status_code == 204

    for member in members:
        [event] = await lms.bus.wait_for(
            "user.updated", subject=member["id"], version=member["version"] + 1
        )
        assert event.data["groups"] == [{"id": kept["id"], "name": "Garde"}]
        profile = await lms.profile(member["id"])
        assert profile["groups"] == [{"id": kept["id"], "name": "Garde"}]
        assert profile["status"] == "invited"  # the users themselves remain
    listed = await lms.admin.get("/api/v1/users", params={"group": gone["id"]})
    assert listed.json()["total"] == 0


async def members_listed(lms: Lms, *groups: dict[str, Any]) -> set[str]:
    params = [("group", g["id"]) for g in groups] + [("limit", "200")]
    response = await lms.admin.get("/api/v1/users", params=params)
    assert response.status_code == 200, response.text
    return {u["id"] for u in response.json()["items"]}


async def test_the_list_filters_by_group_as_memberships_change(lms: Lms) -> None:
    red, blue = await create(lms, "Rouge"), await create(lms, "Bleu")
    ann = await lms.invite(group_ids=[red["id"]])
    bob = await lms.invite()
    assert await members_listed(lms, red) == {ann["id"]}

    assert (await lms.admin.put(f"/api/v1/groups/{blue['id']}/members/{bob['id']}")).status_code
    assert await members_listed(lms, blue) == {bob["id"]}
    assert await members_listed(lms, red, blue) == {ann["id"], bob["id"]}  # in any of them

    changed = await lms.admin.patch(
        f"/api/v1/users/{ann['id']}", json={"version": ann["version"], "group_ids": [blue["id"]]}
    )
    assert changed.status_code == 200, changed.text
    assert await members_listed(lms, red) == set()
    assert await members_listed(lms, blue) == {ann["id"], bob["id"]}

    assert (await lms.admin.delete(f"/api/v1/groups/{blue['id']}/members/{bob['id']}")).is_success
    assert await members_listed(lms, blue) == {ann["id"]}
    assert (await lms.admin.delete(f"/api/v1/groups/{blue['id']}")).status_code == 204
    assert await members_listed(lms, blue) == set()
    assert (await lms.profile(ann["id"]))["groups"] == []


async def test_unknown_groups_and_users(lms: Lms) -> None:
    group = await create(lms, "Archives")
    user = await lms.invite()
    nowhere = uuid.uuid4()
    problem(await lms.admin.patch(f"/api/v1/groups/{nowhere}", json={"name": "X"}), 404, "group")
    problem(await lms.admin.delete(f"/api/v1/groups/{nowhere}"), 404, "group")
    problem(await lms.admin.put(f"/api/v1/groups/{nowhere}/members/{user['id']}"), 404, "group")
    problem(await lms.admin.put(f"/api/v1/groups/{group['id']}/members/{nowhere}"), 404, "user")
    problem(await lms.admin.delete(f"/api/v1/groups/{group['id']}/members/{nowhere}"), 404, "user")
    problem(await lms.admin.put(f"/api/v1/groups/{group['id']}/members/me"), 422, "user_id")
    problem(await lms.admin.delete("/api/v1/groups/archives"), 422, "group_id")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, ["name", "required"]),
        ({"name": ""}, ["name"]),
        ({"name": "   "}, ["name"]),
        ({"name": "x" * 201}, ["name"]),
        ({"name": 7}, ["name"]),
        ({"name": "Ok", "member_count": 3}, ["member_count"]),
        ({"name": "Ok", "id": str(uuid.uuid4())}, ["id"]),
    ],
)
async def test_bad_group_bodies_are_refused(
    lms: Lms, body: dict[str, Any], words: list[str]
) -> None:
    existing = await create(lms, "Existant")
    problem(await lms.admin.post("/api/v1/groups", json=body), 422, *words)
    problem(await lms.admin.patch(f"/api/v1/groups/{existing['id']}", json=body), 422, *words)
    assert [g["name"] for g in await listing(lms)] == ["Existant"]


async def test_renaming_a_group_while_its_members_are_edited(lms: Lms) -> None:
    group = await create(lms, "Pédiatrie")
    members = [await lms.invite(group_ids=[group["id"]]) for _ in range(8)]

    edits = [
        lms.admin.patch(
            f"/api/v1/users/{m['id']}",
            json={"first_name": "Edited"},
            headers={"If-Match": f'"{m["version"]}"'},
        )
        for m in members
    ]
    rename = lms.admin.patch(f"/api/v1/groups/{group['id']}", json={"name": "Néonatalogie"})
    responses = await asyncio.gather(rename, *edits)

    # Each edit either went first, or found the member republished meanwhile (412).
    assert responses[0].status_code == 200, responses[0].text
    assert all(r.status_code in (200, 412) for r in responses[1:]), [r.text for r in responses]
    for member, response in zip(members, responses[1:], strict=True):
        profile = await lms.profile(member["id"])
        edited = response.status_code == 200
        assert profile["first_name"] == ("Edited" if edited else member["first_name"])
        assert profile["groups"] == [{"id": group["id"], "name": "Néonatalogie"}]
        assert profile["version"] == member["version"] + (2 if edited else 1)
        [event] = await lms.bus.wait_for(
            "user.updated", subject=member["id"], version=profile["version"]
        )
        assert (event.data["first_name"], event.data["groups"]) == (
            profile["first_name"],
            profile["groups"],
        )


async def test_deleting_a_group_while_its_members_are_edited(lms: Lms) -> None:
    group = await create(lms, "Gériatrie")
    other = await create(lms, "Oncologie")
    members = [await lms.invite(group_ids=[group["id"]]) for _ in range(8)]

    edits = [
        lms.admin.patch(
            f"/api/v1/users/{m['id']}",
            json={"group_ids": [other["id"]], "first_name": "Edited"},
            headers={"If-Match": f'"{m["version"]}"'},
        )
        for m in members
    ]
    responses = await asyncio.gather(lms.admin.delete(f"/api/v1/groups/{group['id']}"), *edits)

    assert responses[0].status_code == 204, responses[0].text
    assert all(r.status_code in (200, 412) for r in responses[1:]), [r.text for r in responses]
    for member, response in zip(members, responses[1:], strict=True):
        profile = await lms.profile(member["id"])
        edited = response.status_code == 200
        assert profile["groups"] == ([{"id": other["id"], "name": "Oncologie"}] if edited else [])
        [event] = await lms.bus.wait_for(
            "user.updated", subject=member["id"], version=profile["version"]
        )
        assert event.data["groups"] == profile["groups"]
