"""Commands over real RabbitMQ (request/reply): many in flight at once from one process,
each caller given its own answer; a broker that is away is a clear `Unavailable`."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from faststream.rabbit import RabbitBroker
from pydantic import BaseModel

from shared.contracts.commands import CommandFailure, CommandRoute
from shared.errors import Unavailable
from shared.messaging.commands import CommandClient, answer_commands

AT_ONCE = 8
NOWHERE = "amqp://guest:guest@127.0.0.1:1/"


class Echo(BaseModel):
    n: int
    others_in_flight: bool = False
    failure: CommandFailure | None = None


class Gathering:
    """Answers each command only once `AT_ONCE` of them are being answered together (or
    after a while without them): the reply says which."""

    def __init__(self) -> None:
        self.arrived = 0
        self._all_here = asyncio.Event()

    async def __call__(self, command: Echo) -> Echo:
        self.arrived += 1
        if self.arrived == AT_ONCE:
            self._all_here.set()
        try:
            async with asyncio.timeout(5):
                await self._all_here.wait()
        except TimeoutError:
            return Echo(n=command.n)
        return Echo(n=command.n, others_in_flight=True)


@pytest.fixture
async def answering(amqp_url: str) -> AsyncIterator[str]:
    queue = f"test.commands.{uuid.uuid4().hex[:8]}"
    broker = RabbitBroker(amqp_url, logger=None)
    answer_commands(broker, CommandRoute(queue, Echo, Echo), Gathering())
    await broker.start()
    yield queue
    await broker.stop()


async def test_commands_asked_together_are_in_flight_together(
    answering: str, amqp_url: str
) -> None:
    client = CommandClient(amqp_url)
    try:
        replies = await asyncio.gather(
            *(
                client.ask(CommandRoute(answering, Echo, Echo), Echo(n=n), 10, answerer="The test")
                for n in range(AT_ONCE)
            )
        )
    finally:
        await client.stop(1.0)
    assert [reply.n for reply in replies] == list(range(AT_ONCE)), "each caller its own answer"
    assert all(reply.others_in_flight for reply in replies), "not one round trip at a time"


async def test_a_broker_that_is_away_is_unavailable_not_an_error() -> None:
    client = CommandClient(NOWHERE)
    with pytest.raises(Unavailable, match="broker can't be reached"):
        await client.ask(CommandRoute("anywhere", Echo, Echo), Echo(n=1), 2, answerer="The test")
