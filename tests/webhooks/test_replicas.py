"""Several replicas share the queue (FOR UPDATE SKIP LOCKED): each event reaches each
hook once; a replica killed in the middle of deliveries loses them to another after
its lease, sent again with the same webhook-id."""

import asyncio
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from shared.contracts.users import USER_UPDATED
from tests.support.bus import EventPublisher
from tests.support.infra import Infrastructure
from tests.support.webhooks import (
    HANG,
    HookReceiver,
    Integration,
    WebhooksStack,
    new_integration,
    own_database_and_vhost,
    start_webhooks,
)
from tests.webhooks.replicas import Replica, settings_for_replicas
from tests.webhooks.users import publish_user, snapshot


def delivered_count(metrics: str) -> float:
    found = re.search(
        r'webhook_deliveries_total\{outcome="delivered",service="webhooks"\} (\S+)', metrics
    )
    return float(found.group(1)) if found else 0.0


@pytest.fixture
async def second_replica(webhooks_stack: WebhooksStack) -> AsyncIterator[Replica]:
    replica = await Replica(webhooks_stack.settings).start()
    yield replica
    await replica.stop()


async def test_with_two_replicas_each_event_reaches_each_hook_once(
    integration: Integration,
    hook_receiver: HookReceiver,
    events: EventPublisher,
    second_replica: Replica,
) -> None:
    paths = [f"/replicas/{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
    for where in paths:
        await integration.subscribe(hook_receiver.url(where), "user.updated")
    users = [snapshot(integration.tenant_id) for _ in range(60)]

    sent = await asyncio.gather(*(publish_user(events, USER_UPDATED, u) for u in users))

    for where in paths:
        await hook_receiver.wait_for(where, count=len(users), within=30)
    await asyncio.sleep(0.5)  # a duplicate would have come by now
    for where in paths:
        received = Counter(hit.webhook_id for hit in hook_receiver.at(where))
        assert set(received) == {envelope["id"] for envelope in sent}
        assert set(received.values()) == {1}, "each event once per hook"
    assert delivered_count(await second_replica.metrics()) > 0, "both replicas delivered"


@pytest.fixture
async def isolated(infra: Infrastructure) -> AsyncIterator[tuple[str, str]]:
    """A database and a virtual host for replicas that only this test runs."""
    async with own_database_and_vhost(infra, "replicas") as urls:
        yield urls


async def test_deliveries_of_a_killed_replica_are_sent_by_another_with_the_same_id(
    isolated: tuple[str, str], jwt_keys: tuple[str, str]
) -> None:
    database_url, amqp_url = isolated
    settings = settings_for_replicas(database_url, amqp_url, jwt_keys[1])
    receiver = await HookReceiver(hang_seconds=3).start()
    first = await Replica(settings).start()
    integration = await new_integration(first.url, jwt_keys[0])
    events = await EventPublisher(amqp_url).start()
    second = None
    try:
        where = "/killed"
        receiver.script(where, HANG, HANG, HANG, 204)
        await integration.subscribe(receiver.url(where), "user.updated")
        users = [snapshot(integration.tenant_id) for _ in range(3)]
        sent = [await publish_user(events, USER_UPDATED, user) for user in users]
        await receiver.wait_for(where, count=3, accepted=False)

        await first.kill()  # in the middle of the three attempts
        second = await start_webhooks(settings)

        accepted = await receiver.wait_for(where, count=3, within=20)
        ids = {envelope["id"] for envelope in sent}
        assert {hit.webhook_id for hit in accepted} == ids
        assert Counter(hit.webhook_id for hit in accepted).most_common(1)[0][1] == 1
        interrupted = [hit for hit in receiver.at(where) if hit.answer == HANG]
        assert {hit.webhook_id for hit in interrupted} == ids, "the same ids, sent again"
    finally:
        await first.kill()
        if second is not None:
            await second.stop()
        await events.stop()
        await integration.aclose()
        await receiver.stop()
