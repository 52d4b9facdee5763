"""An httpx transport that resolves the target itself, judges every address, and then
dials exactly the addresses it judged.

Letting the HTTP client resolve the name again when it connects would give a subscriber
whose DNS answers a public address to the check and 127.0.0.1 to the connection
("DNS rebinding") a way into our network. Here the connection pool keeps the URL's name
as its origin, so the Host header, TLS SNI and certificate verification are all for the
name, while the network backend is only allowed to dial the addresses just checked for
that name and port.
"""

import select
import socket
import ssl
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from services.webhooks.adapters.resolver import Resolver
from services.webhooks.domain.addresses import IPAddress, address_refusal, parse_address
from services.webhooks.domain.targets import DEFAULT_PORTS


class UnsafeAddress(httpx.ConnectError):
    """The target resolved to an address webhooks are never sent to."""


class ResolutionFailed(httpx.ConnectError):
    """The target's name has no address."""


@dataclass(frozen=True)
class _DialPlan:
    host: str
    port: int
    addresses: Sequence[IPAddress]


# Set for the duration of one request, in the task that sends it: httpcore opens a
# request's connection in that task, so the backend sees the plan of its own request.
_plan: ContextVar[_DialPlan | None] = ContextVar("webhook_dial_plan", default=None)


class _Stream(httpcore.AsyncNetworkStream):
    """A connection whose socket is looked up once. httpcore asks every idle connection of
    the pool whether its socket is readable (closed by the server) on each request, and
    anyio builds a dict of all the socket's attributes for each such question: a tenth of
    a delivery's CPU time (bench/webhooks.py)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "socket":
            return self._socket
        if info == "is_readable" and self._socket is not None:
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


def _readable(sock: socket.socket) -> bool:
    """Whether a read would return at once: on an idle connection, only the server's close
    (a socket already gone counts as closed)."""
    if sock.fileno() < 0:
        return True
    poll = select.poll()
    poll.register(sock, select.POLLIN)
    return bool(poll.poll(0))


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Dials only the addresses of the current request's plan, in order, never a name."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        plan = _plan.get()
        if plan is None or (plan.host, plan.port) != (host, port):
            raise httpcore.ConnectError(f"{host}:{port} was not checked before dialling")
        failure: Exception | None = None
        for address in plan.addresses:
            try:
                stream = await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
                return _Stream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are never sent to a local socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    def __init__(
        self,
        *,
        resolver: Resolver,
        allow_private: bool,
        ssl_context: ssl.SSLContext,
        limits: httpx.Limits,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        self._resolver = resolver
        self._allow_private = allow_private
        # httpx offers no way to choose its pool's network backend; httpcore's pool, which
        # httpx wraps (and whose errors it maps), takes one. Replacing it keeps the rest.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(network_backend or httpcore.AnyIOBackend()),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.raw_host.decode("ascii")  # as httpcore names the origin
        port = request.url.port or DEFAULT_PORTS.get(request.url.scheme, 443)
        addresses = await self._checked_addresses(host, port, request)
        token = _plan.set(_DialPlan(host, port, addresses))
        try:
            return await super().handle_async_request(request)
        finally:
            _plan.reset(token)

    async def _checked_addresses(
        self, host: str, port: int, request: httpx.Request
    ) -> Sequence[IPAddress]:
        literal = parse_address(host)
        if literal is not None:
            addresses: Sequence[IPAddress] = [literal]
        else:
            try:
                addresses = await self._resolver.resolve(host, port)
            except (OSError, UnicodeError) as error:
                raise ResolutionFailed(
                    f"{host} could not be resolved: {error}", request=request
                ) from None
        if not addresses:
            raise ResolutionFailed(f"{host} has no address", request=request)
        if not self._allow_private:
            for address in addresses:
                if refusal := address_refusal(address):
                    raise UnsafeAddress(
                        f"{host} resolves to a non-public address: {refusal.reason}",
                        request=request,
                    )
        return addresses
