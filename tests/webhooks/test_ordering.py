"""Events of one user reach a hook in the order they happened, even when the first one
needs retries; other users' events to the same hook don't wait for them."""

import uuid

from shared.contracts.users import USER_UPDATED
from tests.support.bus import EventPublisher
from tests.support.webhooks import HookReceiver, Integration
from tests.webhooks.users import next_version, publish_user, snapshot


async def test_one_users_events_arrive_in_order_and_others_do_not_wait(
    integration: Integration, hook_receiver: HookReceiver, events: EventPublisher
) -> None:
    where = f"/order/{uuid.uuid4().hex[:8]}"
    await integration.subscribe(hook_receiver.url(where), "user.updated")
    slow = snapshot(integration.tenant_id)
    # Refused five times: accepted after the 5 s, 1 min, 5 min, 30 min and 2 h retries.
    hook_receiver.script(where, 500, 500, 500, 500, 500, 204, user_id=slow.id)
    versions = [slow]
    for n in range(2, 5):
        versions.append(next_version(versions[-1], first_name=f"Léa {n}"))
    for version in versions:
        await publish_user(events, USER_UPDATED, version)
    other = snapshot(integration.tenant_id)
    await publish_user(events, USER_UPDATED, other)

    await hook_receiver.wait_for(where, count=5, within=15)
    hits = hook_receiver.at(where)
    about_slow = [hit for hit in hits if hit.payload["user_id"] == str(slow.id)]
    assert [hit.payload["version"] for hit in about_slow] == [1, 1, 1, 1, 1, 1, 2, 3, 4]
    accepted_first = about_slow[5]
    [about_other] = [hit for hit in hits if hit.payload["user_id"] == str(other.id)]
    assert about_other.at < accepted_first.at, "another user's event did not wait"
