"""A TCP proxy the fault tests control: put it between a service and RabbitMQ, PostgreSQL
or SMTP, then refuse new connections, cut the open ones, delay what passes, or swallow
what the server answers.

    proxy = await FaultProxy("127.0.0.1", 5672).start()
    url = proxy.url_for(amqp_url)        # the service connects through the proxy
    await proxy.outage()                 # the broker goes away: refused and cut
    await proxy.heal()                   # and comes back

It runs in the test's event loop; the services it stands before are real processes.
"""

import asyncio
import contextlib
import urllib.parse
from dataclasses import dataclass


@dataclass
class ProxyCounts:
    accepted: int = 0  # client connections taken and forwarded
    refused: int = 0  # client connections closed at once (upstream unreachable)
    cut: int = 0  # open connections dropped by `cut`


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.delay_seconds = 0.0
        self.swallow_replies = False  # drop what the server sends back (and say nothing)
        self.counts = ProxyCounts()

    async def start(self) -> "FaultProxy":
        await self.listen()
        return self

    def url_for(self, url: str) -> str:
        """`url` (amqp://…, postgresql://…) pointed at this proxy instead of its server."""
        parts = urllib.parse.urlsplit(url)
        userinfo, _, _ = parts.netloc.rpartition("@")
        netloc = f"{userinfo}@127.0.0.1:{self.port}" if userinfo else f"127.0.0.1:{self.port}"
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def listen(self) -> None:
        """Accept connections (again), on the same port."""
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
            self.port = self._server.sockets[0].getsockname()[1]

    async def refuse(self) -> None:
        """Stop listening: new connections are refused; open ones go on."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def cut(self) -> None:
        """Drop every open connection, both ways, at once (the server crashed): each side
        sees its connection end, whatever was still buffered is lost."""
        for client, upstream in list(self._pairs):
            for writer in (client, upstream):
                with contextlib.suppress(Exception):
                    writer.transport.abort()  # closed now, the buffer dropped
            self.counts.cut += 1
        self._pairs.clear()

    async def outage(self) -> None:
        """The server goes away: open connections cut, new ones refused."""
        await self.refuse()
        await self.cut()

    async def heal(self) -> None:
        self.delay_seconds = 0.0
        self.swallow_replies = False
        await self.listen()

    async def stop(self) -> None:
        await self.outage()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def open_connections(self) -> int:
        return len(self._pairs)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._forward(reader, writer)
        finally:
            self._tasks.discard(task)

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            self.counts.refused += 1
            writer.transport.abort()
            return
        self.counts.accepted += 1
        pair = (writer, upstream_writer)
        self._pairs.add(pair)
        try:
            await asyncio.gather(
                self._pipe(reader, upstream_writer, replies=False),
                self._pipe(upstream_reader, writer, replies=True),
                return_exceptions=True,
            )
        finally:
            self._pairs.discard(pair)
            for side in pair:
                side.transport.abort()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, replies: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                if self.delay_seconds:
                    await asyncio.sleep(self.delay_seconds)
                if replies and self.swallow_replies:
                    continue
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()  # a polite end, passed on as such
        except Exception:
            writer.transport.abort()  # a broken side breaks the other, as a cut would
