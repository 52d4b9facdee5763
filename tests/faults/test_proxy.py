"""The fault proxy itself, against a TCP echo server: each fault does what it says."""

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from tests.faults.proxy import FaultProxy


class EchoServer:
    def __init__(self) -> None:
        self.received = b""

    async def start(self) -> "EchoServer":
        self._server = await asyncio.start_server(self._echo, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _echo(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1024):
            self.received += data
            writer.write(data)
            await writer.drain()
        writer.close()

    async def stop(self) -> None:
        self._server.close()


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[FaultProxy, EchoServer]]:
    echo = await EchoServer().start()
    proxy = await FaultProxy("127.0.0.1", echo.port).start()
    yield proxy, echo
    await proxy.stop()
    await echo.stop()


async def round_trip(port: int, data: bytes = b"ping") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(1024), 2)
    writer.close()
    return answer


async def how_it_ends(reader: asyncio.StreamReader) -> str:
    """Raises TimeoutError when the connection stays open."""
    try:
        while await asyncio.wait_for(reader.read(10), 2):
            pass
    except ConnectionResetError:
        return "reset"
    return "end of stream"


async def test_it_forwards_both_ways(proxy: tuple[FaultProxy, EchoServer]) -> None:
    fault, _ = proxy
    assert await round_trip(fault.port) == b"ping"
    assert fault.counts.accepted == 1


async def test_refuse_then_listen_again_on_the_same_port(
    proxy: tuple[FaultProxy, EchoServer],
) -> None:
    fault, _ = proxy
    await fault.refuse()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", fault.port)
    await fault.heal()
    assert await round_trip(fault.port) == b"ping"


async def test_cut_drops_an_open_connection(proxy: tuple[FaultProxy, EchoServer]) -> None:
    fault, _ = proxy
    reader, writer = await asyncio.open_connection("127.0.0.1", fault.port)
    writer.write(b"a")
    assert await asyncio.wait_for(reader.read(10), 2) == b"a"
    await fault.cut()
    assert await how_it_ends(reader) in ("reset", "end of stream")  # at once, not after 2 s
    assert fault.counts.cut == 1
    writer.close()


async def test_delay_holds_each_way(proxy: tuple[FaultProxy, EchoServer]) -> None:
    fault, _ = proxy
    fault.delay_seconds = 0.2
    started = time.monotonic()
    assert await round_trip(fault.port) == b"ping"
    assert time.monotonic() - started >= 0.4


async def test_swallowed_replies_never_arrive(proxy: tuple[FaultProxy, EchoServer]) -> None:
    fault, echo = proxy
    fault.swallow_replies = True
    with pytest.raises(TimeoutError):
        await round_trip(fault.port, b"lost")
    assert echo.received == b"lost", "the server got the request; only its answer was lost"
