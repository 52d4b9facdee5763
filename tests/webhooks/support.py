"""A webhook receiver on a real port, a resolver the test scripts, and a stand-in for the
Internet that records every address the sender dials."""

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import httpcore
from fastapi import FastAPI, Request, Response

from services.webhooks.domain.addresses import IPAddress, parse_address


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers by path: /hook 204, /gone 410, /fail 500, /redirect 302 to /hook,
    /slow only once `release` is set, /huge-error 500 with a 1 MiB body."""

    received: list[Received] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{path:path}")
        async def receive(path: str, request: Request) -> Response:
            body = await request.body()
            self.received.append(Received(f"/{path}", dict(request.headers), body))
            return await self._answer(f"/{path}")

        return app

    async def _answer(self, path: str) -> Response:
        if path == "/gone":
            return Response(status_code=410)
        if path == "/fail":
            return Response("database down,\n  try later", status_code=500)
        if path == "/huge-error":
            return Response(b"x" * (1024 * 1024), status_code=500)
        if path == "/redirect":
            return Response(status_code=302, headers={"location": "/hook"})
        if path == "/slow":
            await self.release.wait()
        return Response(status_code=204)


class ScriptedResolver:
    """The n-th lookup of a name gets the n-th answer; the last answer repeats."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self._answers = answers
        self.lookups: list[str] = []

    async def resolve(self, host: str, port: int) -> Sequence[IPAddress]:
        script = self._answers.get(host)
        if script is None:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        answer = script[min(self.lookups.count(host), len(script) - 1)]
        self.lookups.append(host)
        return [address for text in answer if (address := parse_address(text)) is not None]


class LocalInternet(httpcore.AsyncNetworkBackend):
    """Records every (address, port) dialled. With `route_to`, every dial reaches that
    local port instead (so a test can "reach" a public address without sending a packet
    off this machine); without it, dials go where they were aimed."""

    def __init__(self, route_to: int | None = None) -> None:
        self.dials: list[tuple[str, int]] = []
        self._route_to = route_to
        self._sockets = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.dials.append((host, port))
        if self._route_to is not None:
            host, port = "127.0.0.1", self._route_to
        return await self._sockets.connect_tcp(host, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("no local sockets on the Internet")

    async def sleep(self, seconds: float) -> None:
        await self._sockets.sleep(seconds)
