from collections.abc import AsyncIterator

import pytest

from tests.support.events import EventPublisher
from tests.support.servers import RunningServer
from tests.support.webhooks import hook_receiver, integration, webhooks_stack
from tests.webhooks.support import Receiver

__all__ = ["hook_receiver", "integration", "webhooks_stack"]


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


@pytest.fixture(scope="session")
async def events(amqp_url: str) -> AsyncIterator[EventPublisher]:
    """Publishes events on the bus as the other services do."""
    publisher = await EventPublisher(amqp_url).start()
    yield publisher
    await publisher.stop()
