"""A TCP proxy the test can cut and restore, to take a broker or a mail server away from a
service, or make it lose the SMTP server's reply to a message (`swallow_after_data`)."""

import asyncio
import contextlib
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

END_OF_DATA = b"\r\n.\r\n"  # how an SMTP client ends a message (dot-stuffing keeps it unique)


@dataclass
class _Connection:
    writers: tuple[asyncio.StreamWriter, ...]
    message_sent: bool = False  # the client sent a whole message while swallowing was on

    def cut(self) -> None:
        for writer in self.writers:
            writer.close()


@dataclass
class TcpProxy:
    target_host: str
    target_port: int
    port: int = 0
    # While True, the server's reply to the end of a message never reaches the client,
    # and the connection is cut: the server has accepted the message, the client can't know.
    swallow_after_data: bool = False
    swallowed: int = 0  # replies lost that way
    _server: asyncio.Server | None = field(default=None, repr=False)
    _connections: set[asyncio.StreamWriter] = field(default_factory=set, repr=False)

    async def start(self, port: int = 0) -> "TcpProxy":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port or self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones (the server 'goes away')."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._connections):
            writer.close()
        self._connections.clear()

    async def restore(self) -> None:
        await self.start(self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            writer.close()
            return
        connection = _Connection((writer, upstream_writer))
        self._connections.update(connection.writers)
        await asyncio.gather(
            self._to_server(reader, upstream_writer, connection),
            self._to_client(upstream_reader, writer, connection),
            return_exceptions=True,
        )
        self._connections.difference_update(connection.writers)

    async def _to_server(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: _Connection
    ) -> None:
        tail = b""
        try:
            while data := await reader.read(65536):
                if self.swallow_after_data and END_OF_DATA in tail + data:
                    connection.message_sent = True  # before the server can answer it
                tail = (tail + data)[-len(END_OF_DATA) :]
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _to_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: _Connection
    ) -> None:
        try:
            while data := await reader.read(65536):
                if connection.message_sent:  # the reply to the message: lost, then cut
                    self.swallowed += 1
                    connection.cut()
                    return
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()


def through(proxy: TcpProxy, url: str) -> str:
    """`url` (amqp://user:pass@host:port/vhost) reached through the proxy instead."""
    parts = urllib.parse.urlsplit(url)
    netloc = f"{parts.username}:{parts.password}@127.0.0.1:{proxy.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


@asynccontextmanager
async def proxy_to(url: str) -> AsyncIterator[TcpProxy]:
    """A proxy in front of the server of `url`, removed at the end."""
    parts = urllib.parse.urlsplit(url)
    proxy = await TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5672).start()
    try:
        yield proxy
    finally:
        await proxy.cut()
