"""The webhooks service alone (`webhooks_stack` from the root conftest), a tenant with an
API key per test, and the adapters' own receiver."""

from collections.abc import AsyncIterator

import pytest

from tests.support.bus import BusSpy, EventPublisher
from tests.support.directory import Lms, Tenant
from tests.support.servers import RunningServer
from tests.support.webhooks import Integration, WebhooksStack, new_integration
from tests.webhooks.support import Receiver
from tests.webhooks.zapier import Zapier, key_of


@pytest.fixture
async def integration(webhooks_stack: WebhooksStack) -> AsyncIterator[Integration]:
    """A fresh tenant with an API key: tests never see each other's hooks."""
    created = await new_integration(webhooks_stack.url, webhooks_stack.private_key)
    yield created
    await created.aclose()


@pytest.fixture(scope="module")
async def receiver_server() -> AsyncIterator[tuple[Receiver, RunningServer]]:
    receiver = Receiver()
    server = await RunningServer(receiver.app()).start()
    yield receiver, server
    receiver.release.set()
    await server.stop()


@pytest.fixture
def receiver(receiver_server: tuple[Receiver, RunningServer]) -> Receiver:
    receiver, _ = receiver_server
    receiver.received.clear()
    return receiver


@pytest.fixture
def receiver_port(receiver_server: tuple[Receiver, RunningServer]) -> int:
    return receiver_server[1].port


@pytest.fixture
async def zapier(
    tenant: Tenant,
    bus: BusSpy,
    events: EventPublisher,
    amqp_url: str,
    webhooks_stack: WebhooksStack,
) -> AsyncIterator[Zapier]:
    admin, client, key = await key_of(tenant.admin, webhooks_stack.url)
    yield Zapier(Lms(tenant, bus, events, amqp_url), admin, client, key)
    await admin.aclose()
    await client.aclose()
