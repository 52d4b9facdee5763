"""A receiver that never answers holds at most its own per-target slots: deliveries to
every other receiver go on meanwhile."""

import uuid
from collections.abc import AsyncIterator

import pytest

from shared.contracts.users import USER_ACTIVATED, USER_UPDATED
from tests.support.bus import EventPublisher
from tests.support.infra import Infrastructure
from tests.support.servers import RunningServer
from tests.support.webhooks import (
    HANG,
    HookReceiver,
    new_integration,
    own_database_and_vhost,
    start_webhooks,
    webhooks_settings,
)
from tests.webhooks.users import publish_user, snapshot

TIMEOUT = 3.0  # each attempt to the silent receiver holds its slot this long
PER_TARGET = 4


@pytest.fixture
async def service(
    infra: Infrastructure, jwt_keys: tuple[str, str]
) -> AsyncIterator[tuple[RunningServer, str]]:
    async with own_database_and_vhost(infra, "slow") as (database_url, amqp_url):
        settings = webhooks_settings(
            database_url,
            amqp_url,
            jwt_keys[1],
            delivery_timeout_seconds=TIMEOUT,
            delivery_lease_seconds=3 * TIMEOUT,
            delivery_per_target_concurrency=PER_TARGET,
        )
        server = await start_webhooks(settings)
        yield server, amqp_url
        await server.stop()


@pytest.fixture
async def silent_receiver() -> AsyncIterator[HookReceiver]:
    receiver = await HookReceiver(hang_seconds=TIMEOUT + 1).start()
    receiver.script("/never", HANG)
    yield receiver
    await receiver.stop()


async def test_a_receiver_that_never_answers_does_not_hold_up_the_others(
    service: tuple[RunningServer, str],
    hook_receiver: HookReceiver,
    silent_receiver: HookReceiver,
    jwt_keys: tuple[str, str],
) -> None:
    server, amqp_url = service
    integration = await new_integration(server.url, jwt_keys[0])
    events = await EventPublisher(amqp_url).start()
    try:
        fast = f"/fast/{uuid.uuid4().hex[:8]}"
        await integration.subscribe(silent_receiver.url("/never"), "user.updated")
        await integration.subscribe(hook_receiver.url(fast), "user.activated")
        for _ in range(20):
            await publish_user(events, USER_UPDATED, snapshot(integration.tenant_id))
        silent = await silent_receiver.wait_for("/never", count=PER_TARGET, accepted=False)

        # Every slot of the silent receiver is taken, for TIMEOUT seconds; and the many
        # deliveries queued behind them are its own.
        for _ in range(5):
            await publish_user(events, USER_ACTIVATED, snapshot(integration.tenant_id))
        delivered = await hook_receiver.wait_for(fast, count=5, within=TIMEOUT)

        assert max(hit.at for hit in delivered) < silent[0].at + TIMEOUT
        assert len(silent_receiver.at("/never")) == PER_TARGET, "no more than its slots"
    finally:
        await events.stop()
        await integration.aclose()
