"""An admin of tenant A can read or change nothing of tenant B, by any route."""

import re
from typing import Any

from services.directory.settings import DirectorySettings
from tests.support.directory import Tenant, new_tenant
from tests.support.servers import RunningServer, api_routes

# A well-formed body for each route that takes one, so the call gets as far as it can.
VALID_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/users/{user_id}"): {"version": 1, "first_name": "Hacked"},
    ("POST", "/api/v1/users/{user_id}/deactivate"): {"reason": "hacked"},
    ("PATCH", "/api/v1/groups/{group_id}"): {"name": "Hacked"},
    ("PATCH", "/api/v1/custom-fields/{field_id}"): {"label": "Hacked"},
}


async def other_tenant_objects(b: Tenant) -> dict[str, Any]:
    user = await b.invite("victim@example.com", first_name="Béatrice", last_name="Other")
    group = (await b.admin.post("/api/v1/groups", json={"name": "Secret team"})).json()
    field = (
        await b.admin.post(
            "/api/v1/custom-fields", json={"key": "badge", "label": "Badge", "type": "text"}
        )
    ).json()
    upload = {"file": ("b.csv", b"email,first name,last name\nnew@example.com,New,User\n")}
    preview = (await b.admin.post("/api/v1/imports", files=upload)).json()
    job = {"action": "reactivate", "user_ids": [user["id"]], "confirm": True}
    bulk = (await b.admin.post("/api/v1/users/bulk", json=job)).json()
    return {
        "user_id": user["id"],
        "group_id": group["id"],
        "field_id": field["id"],
        "import_id": preview["id"],
        "job_id": bulk["id"],
    }


async def snapshot(b: Tenant, ids: dict[str, Any]) -> tuple[Any, ...]:
    user = (await b.admin.get(f"/api/v1/users/{ids['user_id']}")).json()
    groups = (await b.admin.get("/api/v1/groups")).json()
    fields = (await b.admin.get("/api/v1/custom-fields")).json()
    user.pop("recent_activities")
    return user, groups, fields


async def test_no_route_reaches_another_tenants_data(
    tenant: Tenant, directory: RunningServer, directory_config: DirectorySettings
) -> None:
    b = await new_tenant(directory_config, directory.url, name="other")
    ids = await other_tenant_objects(b)
    before = await snapshot(b, ids)

    reached = []
    for method, template in api_routes(directory.app):
        if "{" not in template:
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)
        body = VALID_BODIES.get((method, template))
        response = await tenant.admin.request(method, path, json=body)
        if response.status_code != 404:
            reached.append((method, template, response.status_code))

    assert reached == []
    assert await snapshot(b, ids) == before
    await b.admin.aclose()


async def test_lists_show_only_the_callers_tenant(
    tenant: Tenant, directory: RunningServer, directory_config: DirectorySettings
) -> None:
    b = await new_tenant(directory_config, directory.url, name="other")
    ids = await other_tenant_objects(b)
    mine = await tenant.invite("mine@example.com")

    users = (await tenant.admin.get("/api/v1/users")).json()
    by_group = await tenant.admin.get("/api/v1/users", params={"group": ids["group_id"]})
    groups = (await tenant.admin.get("/api/v1/groups")).json()
    fields = (await tenant.admin.get("/api/v1/custom-fields")).json()
    by_field = await tenant.admin.get("/api/v1/users", params={"field.badge": "x"})

    assert {u["id"] for u in users["items"]} == {str(tenant.admin_id), mine["id"]}
    assert by_group.json()["items"] == []
    assert groups == []
    assert fields == []
    assert by_field.status_code == 422, "B's custom field does not exist for A"
    await b.admin.aclose()


async def test_an_admin_cannot_log_into_another_tenant(
    tenant: Tenant, directory: RunningServer, directory_config: DirectorySettings
) -> None:
    b = await new_tenant(directory_config, directory.url, name="other")
    import httpx

    from tests.support.directory import ADMIN_PASSWORD

    async with httpx.AsyncClient(base_url=directory.url) as client:
        response = await client.post(
            "/api/v1/auth/login",
            json={"tenant": b.slug, "email": tenant.admin_email, "password": ADMIN_PASSWORD},
        )
    assert response.status_code == 401
    await b.admin.aclose()
