"""Commands (request/reply) through a broker connection that is cut: the commands asked
meanwhile are `Unavailable` at once, and the first one after the broker is back is
answered on a new connection, without restarting anything."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from faststream.rabbit import RabbitBroker
from pydantic import BaseModel

from shared.contracts.commands import CommandFailure, CommandRoute
from shared.errors import Unavailable
from shared.messaging.commands import CommandClient, answer_commands
from tests.faults.proxy import FaultProxy

TIMEOUT = 5.0


class Echo(BaseModel):
    n: int
    failure: CommandFailure | None = None


async def echo(command: Echo) -> Echo:
    return command


@pytest.fixture
async def answering(private_vhost: str) -> AsyncIterator[str]:
    """A queue whose commands are answered over a direct connection (never cut)."""
    queue = f"test.commands.{uuid.uuid4().hex[:8]}"
    broker = RabbitBroker(private_vhost, logger=None)
    answer_commands(broker, CommandRoute(queue, Echo, Echo), echo)
    await broker.start()
    yield queue
    await broker.stop()


@pytest.fixture
async def client(broker_proxy: FaultProxy, private_vhost: str) -> AsyncIterator[CommandClient]:
    """A client reaching the broker through the proxy."""
    commands = CommandClient(broker_proxy.url_for(private_vhost))
    yield commands
    await commands.stop(1.0)


async def echoed(client: CommandClient, queue: str, n: int, wait: float = TIMEOUT) -> int:
    return (await client.ask(CommandRoute(queue, Echo, Echo), Echo(n=n), wait, answerer="Echo")).n


async def test_commands_are_answered_again_once_the_broker_is_back(
    answering: str, broker_proxy: FaultProxy, client: CommandClient
) -> None:
    assert await echoed(client, answering, 1) == 1
    await broker_proxy.outage()
    with pytest.raises(Unavailable, match="broker can't be reached"):
        await echoed(client, answering, 2)
    await broker_proxy.heal()
    assert await echoed(client, answering, 3) == 3


async def test_a_command_in_flight_when_the_connection_goes_is_unavailable_at_once(
    answering: str, broker_proxy: FaultProxy, client: CommandClient
) -> None:
    assert await echoed(client, answering, 1) == 1
    broker_proxy.swallow_replies = True  # the answer will not come back
    waiting = asyncio.create_task(echoed(client, answering, 2, wait=60))
    await asyncio.sleep(0.5)
    await broker_proxy.outage()
    # Not "did not answer in time" after a minute: the loss is told as it happens.
    with pytest.raises(Unavailable, match="broker can't be reached"):
        await waiting
