"""The REST-hooks API as Zapier uses it, and what it answers to bad input."""

import asyncio
import uuid
from typing import Any

import pytest

from services.webhooks.domain.events import WebhookEvent
from tests.support.webhooks import Integration, WebhooksStack, new_integration

TARGET = "http://127.0.0.1:9999/zap"
KNOWN = ", ".join(event.value for event in WebhookEvent)


async def test_subscribe_list_show_and_unsubscribe(integration: Integration) -> None:
    hook = await integration.subscribe(TARGET, "user.activated")
    assert set(hook) == {
        "id", "target_url", "event", "state", "secret", "created_at", "failing_since",
        "last_error", "last_status", "disabled_at", "api_key_id",
    }  # fmt: skip
    assert (hook["target_url"], hook["event"], hook["state"]) == (
        TARGET,
        "user.activated",
        "active",
    )
    assert hook["api_key_id"] == integration.key["id"]

    listed = (await integration.client.get("/api/v1/hooks")).json()
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "secret" not in listed[0], "the secret is shown once"
    shown = await integration.hook(hook["id"])
    assert shown.status_code == 200
    assert "secret" not in shown.json()

    deleted = await integration.client.delete(f"/api/v1/hooks/{hook['id']}")
    assert deleted.status_code == 204
    assert (await integration.hook(hook["id"])).status_code == 404
    again = await integration.client.delete(f"/api/v1/hooks/{hook['id']}")
    assert again.status_code == 404


async def test_an_administrator_manages_hooks_with_an_access_token(
    integration: Integration,
) -> None:
    made = await integration.admin.post(
        "/api/v1/hooks", json={"target_url": TARGET, "event": "user.role_changed"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["api_key_id"] is None
    listed = (await integration.client.get("/api/v1/hooks")).json()
    assert made.json()["id"] in [h["id"] for h in listed], "the same tenant's hooks"


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"target_url": TARGET, "event": "user.deleted"}, "event", f"choose one of {KNOWN}"),
        ({"target_url": TARGET}, "body.event", "Field required"),
        ({"event": "user.created"}, "body.target_url", "Field required"),
        ({"target_url": TARGET, "event": "user.created", "style": "x"}, "body.style", "Extra"),
        ({"target_url": "ftp://x.example.com/", "event": "user.created"}, "target_url", "https"),
        (
            {"target_url": "https://user:pw@x.example.com/", "event": "user.created"},
            "target_url",
            "user name or password",
        ),
        ({"target_url": "http://127.0.0.1:22/", "event": "user.created"}, "target_url", "Port 22"),
        ({"target_url": 42, "event": "user.created"}, "body.target_url", "string"),
    ],
)
async def test_bad_subscriptions_get_a_422_saying_what_is_wrong(
    integration: Integration, body: dict[str, Any], field: str, says: str
) -> None:
    response = await integration.client.post("/api/v1/hooks", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["field"] == field
    assert says in problem["errors"][0]["message"]
    assert says in problem["detail"] or problem["detail"].startswith("Invalid request")


async def test_other_bad_requests_get_a_4xx_saying_what_is_wrong(
    integration: Integration,
) -> None:
    client = integration.client
    not_json = await client.post(
        "/api/v1/hooks", content=b"{not json", headers={"content-type": "application/json"}
    )
    bad_id = await client.get("/api/v1/hooks/not-a-uuid")
    unknown = await client.get(f"/api/v1/hooks/{uuid.uuid4()}/attempts")
    hook = await integration.subscribe(TARGET, "user.created")
    bad_cursor = await client.get(
        f"/api/v1/hooks/{hook['id']}/attempts", params={"cursor": "garbage!"}
    )
    bad_limit = await client.get(f"/api/v1/hooks/{hook['id']}/attempts", params={"limit": 0})
    bad_event = await client.get("/api/v1/hooks/samples/user.exploded")
    no_email = await client.get("/api/v1/integrations/users")
    empty_name = await integration.admin.post("/api/v1/api-keys", json={"name": ""})

    assert not_json.status_code == 422
    assert (bad_id.status_code, bad_id.json()["errors"][0]["field"]) == (422, "path.hook_id")
    assert (unknown.status_code, unknown.json()["detail"]) == (
        404,
        "There is no hook with this id.",
    )
    assert (bad_cursor.status_code, bad_cursor.json()["detail"]) == (
        400,
        "The cursor is not valid; start again from the first page.",
    )
    assert (bad_limit.status_code, bad_limit.json()["errors"][0]["field"]) == (422, "query.limit")
    assert bad_event.status_code == 422
    assert KNOWN in bad_event.json()["detail"]
    assert (no_email.status_code, no_email.json()["errors"][0]["field"]) == (422, "query.email")
    assert (empty_name.status_code, empty_name.json()["errors"][0]["field"]) == (422, "body.name")


async def test_a_tenant_has_a_limited_number_of_hooks(webhooks_stack: WebhooksStack) -> None:
    limit = webhooks_stack.settings.max_hooks_per_tenant
    integration = await new_integration(webhooks_stack.url, webhooks_stack.private_key)
    try:
        for start in range(0, limit, 20):
            batch = range(start, min(limit, start + 20))
            await asyncio.gather(*(integration.subscribe(TARGET, "user.created") for _ in batch))
        refused = await integration.client.post(
            "/api/v1/hooks", json={"target_url": TARGET, "event": "user.created"}
        )
    finally:
        await integration.aclose()
    assert refused.status_code == 409
    assert f"{limit} hooks" in refused.json()["detail"]
