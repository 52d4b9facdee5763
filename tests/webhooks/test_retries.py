"""Failed deliveries are tried again on the retry schedule (time compressed through
RETRY_TIME_COMPRESSION, see tests.support.webhooks) with the same webhook-id; 410 Gone
deletes the hook; a hook failing for 24 h (compressed) is disabled and can be enabled."""

import asyncio
import uuid
from typing import Any

from standardwebhooks import Webhook

from shared.contracts.users import USER_ACTIVATED, USER_UPDATED
from tests.support.bus import EventPublisher
from tests.support.webhooks import ATTEMPT_TIMEOUT_SECONDS, HANG, HookReceiver, Integration
from tests.webhooks.users import publish_user, snapshot


def path() -> str:
    return f"/retries/{uuid.uuid4().hex[:8]}"


async def attempts(integration: Integration, hook_id: str) -> list[dict[str, Any]]:
    response = await integration.client.get(f"/api/v1/hooks/{hook_id}/attempts")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items[::-1]  # oldest first


async def wait_until(condition: Any, within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while not await condition():
            await asyncio.sleep(0.05)


async def test_a_delivery_answered_500_is_retried_with_the_same_id_until_it_succeeds(
    integration: Integration, hook_receiver: HookReceiver, events: EventPublisher
) -> None:
    where = path()
    hook_receiver.script(where, 500, 503, 204)
    hook = await integration.subscribe(hook_receiver.url(where), "user.activated")

    sent = await publish_user(events, USER_ACTIVATED, snapshot(integration.tenant_id))

    await hook_receiver.wait_for(where)
    hits = hook_receiver.at(where)
    assert [hit.answer for hit in hits] == [500, 503, 204]
    assert {hit.webhook_id for hit in hits} == {sent["id"]}
    for hit in hits:  # each retry is signed anew, and verifies
        assert Webhook(hook["secret"]).verify(hit.body, hit.headers)["id"] == sent["id"]

    async def all_recorded() -> bool:
        return len(await attempts(integration, hook["id"])) == 3

    await wait_until(all_recorded)
    recorded = await attempts(integration, hook["id"])
    assert [(a["attempt"], a["status"], a["outcome"]) for a in recorded] == [
        (1, 500, "retrying"),
        (2, 503, "retrying"),
        (3, 204, "delivered"),
    ]
    assert recorded[0]["error"] == "HTTP 500 Internal Server Error"
    assert all(a["event_id"] == sent["id"] and a["duration_ms"] > 0 for a in recorded)
    shown = (await integration.hook(hook["id"])).json()
    assert (shown["state"], shown["last_status"], shown["failing_since"]) == ("active", 204, None)


async def test_a_receiver_that_does_not_answer_in_time_gets_the_delivery_again(
    integration: Integration, hook_receiver: HookReceiver, events: EventPublisher
) -> None:
    where = path()
    hook_receiver.script(where, HANG, 204)
    hook = await integration.subscribe(hook_receiver.url(where), "user.activated")

    sent = await publish_user(events, USER_ACTIVATED, snapshot(integration.tenant_id))

    [accepted] = await hook_receiver.wait_for(where)
    assert accepted.webhook_id == sent["id"]
    assert [hit.answer for hit in hook_receiver.at(where)] == [HANG, 204]

    async def both_recorded() -> bool:
        return len(await attempts(integration, hook["id"])) == 2

    await wait_until(both_recorded)
    first, second = await attempts(integration, hook["id"])
    assert first["status"] is None
    assert first["error"] in (
        f"no complete answer within {ATTEMPT_TIMEOUT_SECONDS:g} s",
        "timed out waiting for the answer",
    )
    assert first["duration_ms"] >= ATTEMPT_TIMEOUT_SECONDS * 1000
    assert second["outcome"] == "delivered"


async def test_410_gone_deletes_the_hook(
    integration: Integration, hook_receiver: HookReceiver, events: EventPublisher
) -> None:
    where = path()
    hook_receiver.script(where, 410)
    hook = await integration.subscribe(hook_receiver.url(where), "user.updated")
    user = snapshot(integration.tenant_id)

    await publish_user(events, USER_UPDATED, user)
    await hook_receiver.wait_for(where, accepted=False)

    async def deleted() -> bool:
        return (await integration.hook(hook["id"])).status_code == 404

    await wait_until(deleted)
    listed = (await integration.client.get("/api/v1/hooks")).json()
    assert hook["id"] not in [h["id"] for h in listed]
    await publish_user(events, USER_UPDATED, user.model_copy(update={"version": 2}))
    await asyncio.sleep(0.5)
    assert len(hook_receiver.at(where)) == 1, "nothing is sent to a hook that answered 410"


async def test_a_hook_failing_for_24_hours_is_disabled_and_can_be_enabled_again(
    integration: Integration, hook_receiver: HookReceiver, events: EventPublisher
) -> None:
    where = path()
    hook_receiver.script(where, 500)
    hook = await integration.subscribe(hook_receiver.url(where), "user.updated")
    user = snapshot(integration.tenant_id)

    await publish_user(events, USER_UPDATED, user)

    async def disabled() -> bool:
        state: str = (await integration.hook(hook["id"])).json()["state"]
        return state == "disabled"

    await wait_until(disabled, within=15)  # 24 h at 36,000×: 2.4 s
    shown = (await integration.hook(hook["id"])).json()
    assert shown["last_error"] == "HTTP 500 Internal Server Error"
    assert shown["last_status"] == 500
    assert shown["failing_since"] is not None
    assert shown["disabled_at"] is not None
    tried = len(hook_receiver.at(where))
    assert 7 <= tried <= 9  # the 24 h passed during the 8th or 9th attempt
    listed = {h["id"]: h for h in (await integration.client.get("/api/v1/hooks")).json()}
    assert listed[hook["id"]]["state"] == "disabled"

    await publish_user(events, USER_UPDATED, user.model_copy(update={"version": 2}))
    await asyncio.sleep(0.5)
    assert len(hook_receiver.at(where)) == tried, "a disabled hook gets nothing"

    hook_receiver.script(where, 204)
    enabled = await integration.client.post(f"/api/v1/hooks/{hook['id']}/enable")
    assert enabled.status_code == 200, enabled.text
    assert (enabled.json()["state"], enabled.json()["failing_since"]) == ("active", None)
    later = await publish_user(events, USER_UPDATED, user.model_copy(update={"version": 3}))
    [delivered] = await hook_receiver.wait_for(where)
    assert delivered.webhook_id == later["id"], "re-enabled: new events are delivered"


async def test_attempts_are_listed_newest_first_a_page_at_a_time(
    integration: Integration, hook_receiver: HookReceiver, events: EventPublisher
) -> None:
    where = path()
    hook_receiver.script(where, 500, 500, 204)
    hook = await integration.subscribe(hook_receiver.url(where), "user.activated")
    await publish_user(events, USER_ACTIVATED, snapshot(integration.tenant_id))

    async def all_recorded() -> bool:
        return len(await attempts(integration, hook["id"])) == 3

    await wait_until(all_recorded)
    url = f"/api/v1/hooks/{hook['id']}/attempts"
    first = (await integration.client.get(url, params={"limit": 2})).json()
    assert [a["attempt"] for a in first["items"]] == [3, 2]
    assert first["total"] == 3
    assert first["next_cursor"]
    second = (
        await integration.client.get(url, params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [a["attempt"] for a in second["items"]] == [1]
    assert second["next_cursor"] is None
