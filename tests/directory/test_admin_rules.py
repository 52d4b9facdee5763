"""Who administers a tenant: an admin cannot demote or deactivate themselves, and the last
active admin can be neither demoted nor deactivated, whoever asks and however they race."""

import asyncio
from typing import Any

import httpx

from tests.support.directory import LEARNER_PASSWORD, Lms, problem

RULE = "urn:problem:lms:rule-violation"


async def demote(client: httpx.AsyncClient, lms: Lms, user_id: str, role: str = "learner") -> Any:
    version = await lms.version(user_id)
    return await client.patch(
        f"/api/v1/users/{user_id}", json={"role": role}, headers={"If-Match": f'"{version}"'}
    )


async def second_admin(lms: Lms) -> tuple[dict[str, Any], httpx.AsyncClient]:
    return await lms.learner(role="admin")


async def test_an_admin_cannot_remove_their_own_admin_role(lms: Lms) -> None:
    await second_admin(lms)  # not the last admin: the rule is about oneself
    admin_id = str(lms.tenant.admin_id)
    response = await demote(lms.admin, lms, admin_id)
    body = problem(response, 409, "your own administrator role")
    assert body["type"] == RULE
    assert (await lms.profile(admin_id))["role"] == "admin"


async def test_an_admin_cannot_deactivate_themselves(lms: Lms) -> None:
    await second_admin(lms)
    admin_id = str(lms.tenant.admin_id)
    response = await lms.admin.post(f"/api/v1/users/{admin_id}/deactivate", json={})
    body = problem(response, 409, "deactivate yourself")
    assert body["type"] == RULE
    assert (await lms.profile(admin_id))["status"] == "active"
    assert (await lms.admin.get("/api/v1/auth/me")).status_code == 200


async def test_an_admin_can_demote_or_deactivate_another_admin(lms: Lms) -> None:
    other, client = await second_admin(lms)
    await client.aclose()
    response = await demote(lms.admin, lms, other["id"])
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "learner"
    third, client = await second_admin(lms)
    await client.aclose()
    response = await lms.admin.post(f"/api/v1/users/{third['id']}/deactivate", json={})
    assert response.status_code == 200, response.text


async def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(
    lms: Lms, manager_role: str
) -> None:
    # A manager may edit and deactivate users and assign roles, without being an admin.
    _, manager = await lms.learner(role=manager_role)
    admin_id = str(lms.tenant.admin_id)
    try:
        response = await demote(manager, lms, admin_id)
        body = problem(response, 409, "last active administrator cannot be demoted")
        assert body["type"] == RULE
        response = await manager.post(f"/api/v1/users/{admin_id}/deactivate", json={})
        body = problem(response, 409, "last active administrator cannot be deactivated")
        assert body["type"] == RULE
        profile = await lms.profile(admin_id)
        assert (profile["role"], profile["status"]) == ("admin", "active")

        # With a second active admin, the manager may.
        other, client = await second_admin(lms)
        await client.aclose()
        assert (await demote(manager, lms, admin_id)).status_code == 200
        response = await manager.post(f"/api/v1/users/{other['id']}/deactivate", json={})
        problem(response, 409, "last active administrator")
    finally:
        await manager.aclose()


async def test_admins_who_are_not_active_do_not_count(lms: Lms, manager_role: str) -> None:
    _, manager = await lms.learner(role=manager_role)
    invited_admin = await lms.invite(role="admin")  # has not accepted: not active
    admin_id = str(lms.tenant.admin_id)
    try:
        response = await demote(manager, lms, admin_id)
        problem(response, 409, "last active administrator")
        # An invited admin may be demoted or deactivated: they are not the active admin.
        assert (await demote(manager, lms, invited_admin["id"])).status_code == 200
    finally:
        await manager.aclose()


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(lms: Lms) -> None:
    other, other_client = await second_admin(lms)
    admin_id = str(lms.tenant.admin_id)
    versions = [await lms.version(admin_id), await lms.version(other["id"])]
    try:
        responses = await asyncio.gather(
            lms.admin.patch(
                f"/api/v1/users/{other['id']}",
                json={"role": "learner"},
                headers={"If-Match": f'"{versions[1]}"'},
            ),
            other_client.patch(
                f"/api/v1/users/{admin_id}",
                json={"role": "learner"},
                headers={"If-Match": f'"{versions[0]}"'},
            ),
        )
    finally:
        await other_client.aclose()
    statuses = sorted(r.status_code for r in responses)
    # One wins; the other is refused, by the last-admin rule or because the loser is no
    # longer an admin by the time the request is checked.
    assert statuses in ([200, 403], [200, 409]), [r.text for r in responses]
    survivor = other if responses[1].status_code == 200 else None
    assert await active_admins(lms, survivor) == 1


async def active_admins(lms: Lms, survivor: dict[str, Any] | None) -> int:
    """How many active admins the tenant has, asked by the one left (the tenant's first
    admin when `survivor` is None)."""
    client = (
        lms.admin
        if survivor is None
        else await lms.tenant.login(survivor["email"], LEARNER_PASSWORD)
    )
    try:
        response = await client.get("/api/v1/users", params={"role": "admin", "status": "active"})
        assert response.status_code == 200, response.text
        return int(response.json()["total"])
    finally:
        if survivor is not None:
            await client.aclose()


async def test_deactivating_two_admins_at_once_leaves_one(lms: Lms, manager_role: str) -> None:
    _, manager = await lms.learner(role=manager_role)
    other, client = await second_admin(lms)
    await client.aclose()
    second_manager = await lms.tenant.login(
        (await manager.get("/api/v1/auth/me")).json()["email"], LEARNER_PASSWORD
    )
    try:
        responses = await asyncio.gather(
            manager.post(f"/api/v1/users/{lms.tenant.admin_id}/deactivate", json={}),
            second_manager.post(f"/api/v1/users/{other['id']}/deactivate", json={}),
        )
    finally:
        await manager.aclose()
        await second_manager.aclose()
    assert sorted(r.status_code for r in responses) == [200, 409]
    survivor = other if responses[0].status_code == 200 else None
    assert await active_admins(lms, survivor) == 1


async def test_granting_the_admin_role(lms: Lms) -> None:
    user, client = await lms.learner()
    await client.aclose()
    response = await demote(lms.admin, lms, user["id"], role="admin")
    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    promoted = await lms.tenant.login(user["email"], LEARNER_PASSWORD)
    try:
        assert (await promoted.get("/api/v1/users")).status_code == 200
    finally:
        await promoted.aclose()
