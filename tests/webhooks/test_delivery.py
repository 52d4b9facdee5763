"""An event on the bus reaches every subscribed receiver, signed so that the
`standardwebhooks` library verifies it with the hook's secret."""

import uuid

import httpx
from standardwebhooks import Webhook

from shared.contracts.users import USER_ACTIVATED, USER_DEACTIVATED, USER_UPDATED
from tests.support.bus import EventPublisher
from tests.support.webhooks import HookReceiver, Integration, WebhooksStack
from tests.webhooks.users import publish_user, snapshot


def path() -> str:
    return f"/delivery/{uuid.uuid4().hex[:8]}"


async def test_the_receiver_gets_the_event_signed_with_its_hooks_secret(
    integration: Integration, hook_receiver: HookReceiver, events: EventPublisher
) -> None:
    where = path()
    hook = await integration.subscribe(hook_receiver.url(where), "user.activated")
    assert hook["secret"].startswith("whsec_")
    user = snapshot(integration.tenant_id, email="Lea.Gagnon@Example.org")

    sent = await publish_user(events, USER_ACTIVATED, user)

    [hit] = await hook_receiver.wait_for(where)
    payload = Webhook(hook["secret"]).verify(hit.body, hit.headers)
    assert hit.webhook_id == payload["id"] == sent["id"]
    assert payload["event"] == "user.activated"
    assert payload["user_id"] == str(user.id)
    assert payload["email"] == "Lea.Gagnon@Example.org"
    assert payload["groups"] == ["Cohorte 7"]
    assert payload["custom_fields"] == {"badge": "B-12"}
    assert payload["tenant_id"] == str(integration.tenant_id)
    assert hit.headers["content-type"] == "application/json"


async def test_every_subscriber_of_the_event_gets_it_and_no_one_else(
    integration: Integration, hook_receiver: HookReceiver, events: EventPublisher
) -> None:
    first, second, other_event = path(), path(), path()
    await integration.subscribe(hook_receiver.url(first), "user.activated")
    await integration.subscribe(hook_receiver.url(second), "user.activated")
    await integration.subscribe(hook_receiver.url(other_event), "user.deactivated")

    sent = await publish_user(events, USER_ACTIVATED, snapshot(integration.tenant_id))

    [a] = await hook_receiver.wait_for(first)
    [b] = await hook_receiver.wait_for(second)
    assert a.webhook_id == b.webhook_id == sent["id"]
    # Queued after it: had the first event gone to the other hook, it would be there too.
    later = await publish_user(events, USER_DEACTIVATED, snapshot(integration.tenant_id))
    [only] = await hook_receiver.wait_for(other_event)
    assert only.webhook_id == later["id"]
    assert only.payload["event"] == "user.deactivated"


async def test_deliveries_are_counted_by_outcome_in_the_metrics(
    integration: Integration,
    hook_receiver: HookReceiver,
    events: EventPublisher,
    webhooks_stack: WebhooksStack,
) -> None:
    where = path()
    await integration.subscribe(hook_receiver.url(where), "user.activated")
    await publish_user(events, USER_ACTIVATED, snapshot(integration.tenant_id))
    await hook_receiver.wait_for(where)

    async with httpx.AsyncClient(base_url=webhooks_stack.url) as client:
        metrics = (await client.get("/metrics")).text
    assert 'webhook_deliveries_total{outcome="delivered",service="webhooks"}' in metrics


async def test_a_new_role_in_a_snapshot_is_delivered_as_user_role_changed(
    integration: Integration, hook_receiver: HookReceiver, events: EventPublisher
) -> None:
    where = path()
    await integration.subscribe(hook_receiver.url(where), "user.role_changed")
    learner = snapshot(integration.tenant_id, role="learner")
    await publish_user(events, USER_ACTIVATED, learner)
    renamed = learner.model_copy(update={"version": 2, "first_name": "Léonie"})
    await publish_user(events, USER_UPDATED, renamed)
    promoted = renamed.model_copy(update={"version": 3, "role": "instructor"})

    sent = await publish_user(events, USER_UPDATED, promoted)

    [hit] = await hook_receiver.wait_for(where)
    assert hit.payload["event"] == "user.role_changed"
    assert (hit.payload["previous_role"], hit.payload["role"]) == ("learner", "instructor")
    assert hit.webhook_id != sent["id"], "an id of its own, derived from the bus event's"
    # The same snapshot again (a replay) reveals nothing new: no second delivery.
    await publish_user(events, USER_UPDATED, promoted)
    later = await publish_user(
        events, USER_UPDATED, promoted.model_copy(update={"version": 4, "role": "admin"})
    )
    second = (await hook_receiver.wait_for(where, count=2))[1]
    assert (second.payload["previous_role"], second.payload["role"]) == ("instructor", "admin")
    assert later["id"] != second.webhook_id
    assert len(hook_receiver.at(where)) == 2
