"""One user's events reach a hook in order with several replicas: the events queue has a
single active consumer (the other replicas stand by), while every replica sends. And the
queue of an earlier deployment (`webhooks.events`, without single-active-consumer) is
drained in order, then deleted, by the first start of this version."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest
from aio_pika.exceptions import ChannelNotFoundEntity, ChannelPreconditionFailed
from faststream.rabbit import RabbitBroker

from services.webhooks.domain.events import ROUTING_KEYS
from services.webhooks.handlers import SUBSCRIPTIONS
from shared.contracts.users import USER_UPDATED
from shared.messaging.topology import ConsumerQueue, declare_topology
from tests.support.bus import EventPublisher
from tests.support.infra import Infrastructure
from tests.support.webhooks import (
    HookReceiver,
    Integration,
    new_integration,
    own_database_and_vhost,
    start_webhooks,
    webhooks_settings,
)
from tests.webhooks.replicas import Replica, settings_for_replicas
from tests.webhooks.users import next_version, publish_user, snapshot

[EVENTS_QUEUE] = SUBSCRIPTIONS
OLD_QUEUE = ConsumerQueue("webhooks.events", ROUTING_KEYS, in_order=True)  # as declared before


@pytest.fixture
async def isolated(infra: Infrastructure) -> AsyncIterator[tuple[str, str]]:
    async with own_database_and_vhost(infra, "order") as urls:
        yield urls


@pytest.fixture
async def receiver() -> AsyncIterator[HookReceiver]:
    started = await HookReceiver().start()
    yield started
    await started.stop()


def versions(hits: list[Any]) -> list[int]:
    return [hit.payload["version"] for hit in hits]


def without_repeats(numbers: list[int]) -> list[int]:
    """A delivery a killed replica sent but did not record is sent again, right after."""
    return [n for i, n in enumerate(numbers) if i == 0 or n != numbers[i - 1]]


async def until_each_version_arrived(
    receiver: HookReceiver, where: str, count: int, within: float = 60
) -> list[int]:
    """Waits for `count` distinct events, not `count` requests: repeats count once."""
    async with asyncio.timeout(within):
        while len(set(arrived := versions(receiver.at(where)))) < count:
            await asyncio.sleep(0.05)
    return arrived


async def test_a_users_events_arrive_in_order_while_replicas_are_killed_and_started(
    isolated: tuple[str, str], jwt_keys: tuple[str, str], receiver: HookReceiver
) -> None:
    database_url, amqp_url = isolated
    settings = settings_for_replicas(database_url, amqp_url, jwt_keys[1])
    replicas = [await Replica(settings).start(), await Replica(settings).start()]
    integration = await new_integration(replicas[1].url, jwt_keys[0])
    events = await EventPublisher(amqp_url).start()
    try:
        where = f"/order/{uuid.uuid4().hex[:8]}"
        await integration.subscribe(receiver.url(where), "user.updated")
        user = snapshot(integration.tenant_id)

        async def publish(count: int) -> None:
            nonlocal user
            for _ in range(count):
                await publish_user(events, USER_UPDATED, user)
                user = next_version(user, first_name=f"Léa {user.version + 1}")

        await publish(10)
        await replicas[0].kill()  # the first to consume: the active consumer
        await publish(10)
        replicas.append(await Replica(settings).start())
        await publish(10)
        await replicas[1].kill()
        await publish(10)

        arrived = await until_each_version_arrived(receiver, where, 40)
        assert without_repeats(arrived) == list(range(1, 41))
    finally:
        for replica in replicas:
            await replica.kill()
        await events.stop()
        await integration.aclose()


async def queue_exists(amqp_url: str, name: str) -> bool:
    async with await aio_pika.connect(amqp_url) as connection:
        channel = await connection.channel()
        try:
            await channel.declare_queue(name, passive=True)
        except ChannelNotFoundEntity:
            return False
        return True


async def until_gone(amqp_url: str, name: str, within: float = 10.0) -> None:
    """The drain deletes the old queue just after applying its last message."""
    async with asyncio.timeout(within):
        while await queue_exists(amqp_url, name):
            await asyncio.sleep(0.1)


async def declare_as_before(amqp_url: str) -> None:
    """The topology of the earlier deployment: only the old queue, bound to the events."""
    async with await aio_pika.connect(amqp_url) as connection:
        await (await connection.channel()).queue_delete(EVENTS_QUEUE.name)
    broker = RabbitBroker(amqp_url, logger=None)
    await broker.connect()
    try:
        await declare_topology(broker, (OLD_QUEUE,))
    finally:
        await broker.stop()


async def test_the_earlier_queue_is_drained_in_order_then_deleted(
    isolated: tuple[str, str], jwt_keys: tuple[str, str], receiver: HookReceiver
) -> None:
    database_url, amqp_url = isolated
    settings = webhooks_settings(database_url, amqp_url, jwt_keys[1])
    service = await start_webhooks(settings)
    integration: Integration | None = None
    events = await EventPublisher(amqp_url).start()
    try:
        integration = await new_integration(service.url, jwt_keys[0])
        where = f"/migrated/{uuid.uuid4().hex[:8]}"
        await integration.subscribe(receiver.url(where), "user.updated")
        await service.stop()
        await declare_as_before(amqp_url)
        user = snapshot(integration.tenant_id)
        for _ in range(5):  # waiting in the old queue while no service runs
            await publish_user(events, USER_UPDATED, user)
            user = next_version(user)

        service = await start_webhooks(settings)
        for _ in range(3):  # to the new queue (and to the old one until it is unbound)
            await publish_user(events, USER_UPDATED, user)
            user = next_version(user)

        accepted = await receiver.wait_for(where, count=8, within=30)
        assert versions(accepted) == list(range(1, 9))
        await until_gone(amqp_url, OLD_QUEUE.name)
        as_declared = EVENTS_QUEUE.queue().arguments
        without_it = ConsumerQueue(EVENTS_QUEUE.name, ROUTING_KEYS, in_order=True).queue()
        async with await aio_pika.connect(amqp_url) as connection:
            channel = await connection.channel()
            await channel.declare_queue(EVENTS_QUEUE.name, durable=True, arguments=as_declared)
            with pytest.raises(ChannelPreconditionFailed):  # only single-active-consumer differs
                await channel.declare_queue(
                    EVENTS_QUEUE.name, durable=True, arguments=without_it.arguments
                )
    finally:
        await service.stop()
        await events.stop()
        if integration is not None:
            await integration.aclose()
