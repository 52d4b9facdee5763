"""Zapier's performList (recent payloads of an event, newest first, in the delivered
shape) and its search (a user by e-mail, from the users seen on the bus)."""

import uuid

from shared.contracts.email import EMAIL_BOUNCED
from shared.contracts.exports import EXPORT_COMPLETED
from shared.contracts.users import USER_ACTIVATED, USER_CREATED, USER_UPDATED
from tests.support.bus import EventPublisher
from tests.support.webhooks import HookReceiver, Integration
from tests.webhooks.users import bounce, export_done, next_version, publish_user, snapshot


async def test_samples_are_the_delivered_payloads_newest_first(
    integration: Integration, hook_receiver: HookReceiver, events: EventPublisher
) -> None:
    where = f"/samples/{uuid.uuid4().hex[:8]}"
    await integration.subscribe(hook_receiver.url(where), "user.updated")
    older, newer = snapshot(integration.tenant_id), snapshot(integration.tenant_id)
    await publish_user(events, USER_UPDATED, older)
    await hook_receiver.wait_for(where, count=1)
    await publish_user(events, USER_UPDATED, newer)
    delivered = await hook_receiver.wait_for(where, count=2)

    response = await integration.client.get("/api/v1/hooks/samples/user.updated")

    assert response.status_code == 200
    samples = response.json()
    assert samples == [delivered[1].payload, delivered[0].payload]
    assert list(samples[0]) == list(delivered[1].payload), "same keys, same order"


async def test_without_events_yet_a_made_up_sample_has_the_delivered_shape(
    integration: Integration, hook_receiver: HookReceiver, events: EventPublisher
) -> None:
    kinds = {
        "user.created": (USER_CREATED, None),
        "email.bounced": (EMAIL_BOUNCED, "bounce"),
        "export.completed": (EXPORT_COMPLETED, "export"),
    }
    made_up = {}
    for event in kinds:
        response = await integration.client.get(f"/api/v1/hooks/samples/{event}")
        [sample] = response.json()
        assert sample["event"] == event
        assert sample["tenant_id"] == str(integration.tenant_id)
        made_up[event] = sample

    user = snapshot(integration.tenant_id)
    for event, (routing_key, data) in kinds.items():
        where = f"/samples/{event}/{uuid.uuid4().hex[:6]}"
        await integration.subscribe(hook_receiver.url(where), event)
        if data is None:
            await publish_user(events, routing_key, user)
        else:
            body = bounce(user) if data == "bounce" else export_done()
            await events.publish(routing_key, integration.tenant_id, body)
        [hit] = await hook_receiver.wait_for(where)
        assert list(hit.payload) == list(made_up[event]), event
        real = (await integration.client.get(f"/api/v1/hooks/samples/{event}")).json()
        assert real == [hit.payload], "once there is a real one, it replaces the made-up one"


async def test_the_search_finds_a_user_by_email_in_the_delivered_shape(
    integration: Integration, hook_receiver: HookReceiver, events: EventPublisher
) -> None:
    where = f"/search/{uuid.uuid4().hex[:8]}"
    await integration.subscribe(hook_receiver.url(where), "user.updated")
    user = snapshot(integration.tenant_id, email="Chloe.Martin@Example.org")
    await publish_user(events, USER_ACTIVATED, user)
    renamed = next_version(user, last_name="Martin-Roy")
    await publish_user(events, USER_UPDATED, renamed)
    [hit] = await hook_receiver.wait_for(where)

    found = await integration.client.get(
        "/api/v1/integrations/users", params={"email": "chloe.martin@example.org"}
    )
    nobody = await integration.client.get(
        "/api/v1/integrations/users", params={"email": "nobody@example.org"}
    )

    assert found.status_code == 200
    assert found.json() == [hit.payload], "the latest snapshot, as its event delivered it"
    assert nobody.json() == []
