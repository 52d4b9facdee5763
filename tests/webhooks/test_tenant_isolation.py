"""An API key of tenant A never sees tenant B's hooks, events, samples or users, and B's
events never reach A's hooks."""

import uuid

import pytest

from shared.contracts.users import USER_ACTIVATED
from tests.support.bus import EventPublisher
from tests.support.webhooks import HookReceiver, Integration, WebhooksStack, new_integration
from tests.webhooks.users import publish_user, snapshot


@pytest.fixture
async def other(webhooks_stack: WebhooksStack) -> Integration:
    return await new_integration(webhooks_stack.url, webhooks_stack.private_key)


async def test_one_tenants_key_never_reaches_anothers_hooks_events_or_users(
    integration: Integration,
    other: Integration,
    hook_receiver: HookReceiver,
    events: EventPublisher,
) -> None:
    mine, theirs = f"/iso/a-{uuid.uuid4().hex[:6]}", f"/iso/b-{uuid.uuid4().hex[:6]}"
    await integration.subscribe(hook_receiver.url(mine), "user.activated")
    their_hook = await other.subscribe(hook_receiver.url(theirs), "user.activated")
    their_user = snapshot(other.tenant_id, email="secret.person@b.example.org")

    await publish_user(events, USER_ACTIVATED, their_user)
    [delivered] = await hook_receiver.wait_for(theirs)
    my_user = snapshot(integration.tenant_id)
    mine_sent = await publish_user(events, USER_ACTIVATED, my_user)
    [my_delivery] = await hook_receiver.wait_for(mine)

    assert my_delivery.webhook_id == mine_sent["id"], "only my tenant's event reached my hook"
    client = integration.client
    assert their_hook["id"] not in [h["id"] for h in (await client.get("/api/v1/hooks")).json()]
    hook_path = f"/api/v1/hooks/{their_hook['id']}"
    assert (await client.get(hook_path)).status_code == 404
    assert (await client.get(f"{hook_path}/attempts")).status_code == 404
    assert (await client.post(f"{hook_path}/enable")).status_code == 404
    assert (await client.delete(hook_path)).status_code == 404
    samples = (await client.get("/api/v1/hooks/samples/user.activated")).json()
    assert delivered.payload not in samples
    assert all(sample["tenant_id"] == str(integration.tenant_id) for sample in samples)
    search = await client.get(
        "/api/v1/integrations/users", params={"email": "secret.person@b.example.org"}
    )
    assert search.json() == []
    assert (await other.hook(their_hook["id"])).status_code == 200, "still theirs, untouched"
    await other.aclose()


async def test_an_administrator_token_is_bound_to_its_tenant(
    integration: Integration, other: Integration
) -> None:
    their_hook = await other.subscribe("http://127.0.0.1:9999/b", "user.created")
    assert (await integration.admin.get(f"/api/v1/hooks/{their_hook['id']}")).status_code == 404
    assert their_hook["id"] not in [
        h["id"] for h in (await integration.admin.get("/api/v1/hooks")).json()
    ]
    await other.aclose()
