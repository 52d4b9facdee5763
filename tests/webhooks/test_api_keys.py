"""Integration API keys: made by an administrator, shown once, stored hashed, listed
without the key, revoked at once for every route."""

import uuid

import asyncpg
import httpx

from shared.security.tokens import token_hash
from tests.support.webhooks import Integration, WebhooksStack, admin_token


async def test_a_new_key_is_shown_once_and_then_only_by_its_prefix(
    integration: Integration, webhooks_stack: WebhooksStack
) -> None:
    key = integration.key
    assert key["key"].startswith("lms_live_")
    assert len(key["key"]) > 40
    assert key["prefix"] == key["key"][: len("lms_live_") + 4]
    assert key["name"] == "Zapier"

    listed = (await integration.admin.get("/api/v1/api-keys")).json()
    assert [k["id"] for k in listed] == [key["id"]]
    assert "key" not in listed[0]
    assert listed[0]["prefix"] == key["prefix"]
    assert listed[0]["revoked_at"] is None

    url = str(webhooks_stack.settings.database_url).replace("+asyncpg", "")
    connection = await asyncpg.connect(url)
    try:
        stored = await connection.fetchrow(
            "SELECT * FROM api_keys WHERE id = $1", uuid.UUID(key["id"])
        )
    finally:
        await connection.close()
    assert stored is not None
    assert key["key"] not in [str(value) for value in stored.values()]
    assert bytes(stored["key_hash"]) == token_hash(key["key"])


async def test_me_answers_who_the_key_belongs_to_with_either_header(
    integration: Integration, webhooks_stack: WebhooksStack
) -> None:
    by_header = await integration.client.get("/api/v1/me")
    assert by_header.status_code == 200, by_header.text
    me = by_header.json()
    assert me == {
        "tenant_id": str(integration.tenant_id),
        "key_id": integration.key["id"],
        "key_name": "Zapier",
        "key_prefix": integration.key["prefix"],
        "label": f"Zapier ({integration.key['prefix']}…)",
    }
    async with httpx.AsyncClient(base_url=webhooks_stack.url) as client:
        bearer = await client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {integration.key['key']}"}
        )
    assert bearer.json() == me
    listed = (await integration.admin.get("/api/v1/api-keys")).json()
    assert listed[0]["last_used_at"] is not None


async def test_a_missing_or_unknown_key_is_refused(webhooks_stack: WebhooksStack) -> None:
    async with httpx.AsyncClient(base_url=webhooks_stack.url) as client:
        missing = await client.get("/api/v1/me")
        unknown = await client.get("/api/v1/me", headers={"X-API-Key": "lms_live_nope"})
        hooks = await client.get("/api/v1/hooks")
    for response in (missing, unknown, hooks):
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert "API key" in missing.json()["detail"]
    assert unknown.json()["detail"] == "The API key is unknown or has been revoked."


async def test_a_revoked_key_stops_working_at_once_on_every_route(
    integration: Integration,
) -> None:
    hook = await integration.subscribe("http://127.0.0.1:9999/hook", "user.created")
    assert (await integration.client.get("/api/v1/me")).status_code == 200

    revoked = await integration.admin.delete(f"/api/v1/api-keys/{integration.key['id']}")
    assert revoked.status_code == 204

    client = integration.client
    refused = [
        await client.get("/api/v1/me"),
        await client.get("/api/v1/hooks"),
        await client.post(
            "/api/v1/hooks", json={"target_url": "http://127.0.0.1:9999/x", "event": "user.created"}
        ),
        await client.delete(f"/api/v1/hooks/{hook['id']}"),
        await client.get("/api/v1/hooks/samples/user.created"),
        await client.get("/api/v1/integrations/users", params={"email": "a@b.example"}),
    ]
    assert [r.status_code for r in refused] == [401] * len(refused)
    listed = (await integration.admin.get("/api/v1/api-keys")).json()
    assert listed[0]["revoked_at"] is not None
    # What the key made stops delivering too (visible, and an admin may enable it again).
    made = (await integration.admin.get(f"/api/v1/hooks/{hook['id']}")).json()
    assert made["state"] == "disabled"
    assert "API key" in made["last_error"]


async def test_only_an_administrator_with_hooks_manage_handles_keys(
    integration: Integration, webhooks_stack: WebhooksStack
) -> None:
    with_key = await integration.client.post("/api/v1/api-keys", json={"name": "x"})
    assert with_key.status_code == 403
    token = admin_token(
        webhooks_stack.private_key, integration.tenant_id, frozenset({"users:read"})
    )
    async with httpx.AsyncClient(
        base_url=webhooks_stack.url, headers={"Authorization": f"Bearer {token}"}
    ) as reader:
        refused = await reader.get("/api/v1/api-keys")
        forged = await reader.get(
            "/api/v1/api-keys", headers={"Authorization": "Bearer eyJhbGciOi.forged.token"}
        )
    assert refused.status_code == 403
    assert "hooks:manage" in refused.json()["detail"]
    assert forged.status_code == 401


async def test_keys_of_another_tenant_are_neither_listed_nor_revocable(
    integration: Integration, webhooks_stack: WebhooksStack
) -> None:
    other = admin_token(webhooks_stack.private_key, uuid.uuid4())
    async with httpx.AsyncClient(
        base_url=webhooks_stack.url, headers={"Authorization": f"Bearer {other}"}
    ) as admin:
        assert (await admin.get("/api/v1/api-keys")).json() == []
        revoke = await admin.delete(f"/api/v1/api-keys/{integration.key['id']}")
    assert revoke.status_code == 404
    assert (await integration.client.get("/api/v1/me")).status_code == 200
