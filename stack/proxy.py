"""The built-in gateway, for machines without nginx: the routes of the nginx config (both come
from stack/services.py) served by a small ASGI reverse proxy, with nginx's behaviour where a
client can see it: Host kept, X-Forwarded-For set to the client's address (never taken from
the client), X-Forwarded-Proto, a fresh X-Request-ID, bodies streamed both ways, 413 over
10 MB, /health answered here, /metrics hidden (404), 502/504 when a service does not answer.

    python -m stack.proxy --port 8080 [--port-offset N]
"""

import argparse
import secrets
from collections.abc import AsyncIterator

import httpx
import uvicorn
from starlette.types import Message, Receive, Scope, Send

from stack.gateway import BODY_LIMIT_BYTES
from stack.services import GATEWAY_HEALTH, Route, available, is_hidden, routes

NOT_FOUND = b"not found (gateway)\n"
TOO_LARGE = b"request body too large (10 MB at most)\n"

_HOP_BY_HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
}
# set here, whatever the client sent; Expect: 100-continue is answered here (uvicorn)
_NOT_PASSED_ON = {b"x-forwarded-for", b"x-forwarded-proto", b"x-request-id", b"expect"}
# nginx's proxy_connect_timeout / proxy_read_timeout / proxy_send_timeout defaults
_TIMEOUT = httpx.Timeout(60.0)


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


def normalised(path: str) -> str | None:
    """The path as nginx matches it: slashes merged, "." and ".." resolved; None when ".."
    climbs above the root (nginx answers 400)."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if not segments:
                return None
            segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    trailing = path.endswith(("/", "/.", "/..")) and bool(segments)
    return "/" + "/".join(segments) + ("/" if trailing else "")


class Gateway:
    """An ASGI app sending each request to the service whose prefix matches, longest first."""

    def __init__(self, table: list[Route], body_limit: int = BODY_LIMIT_BYTES) -> None:
        self.table = table
        self.body_limit = body_limit
        self.client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        # websockets: no service uses them; returning refuses the handshake

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.client = httpx.AsyncClient(
                    timeout=_TIMEOUT,
                    trust_env=False,  # never through an HTTP_PROXY of the environment
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.client is not None:
                    await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def route(self, path: str) -> Route | None:
        return next((r for r in self.table if path.startswith(r.prefix)), None)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = normalised(scope["path"])
        if path is None:
            await _answer(send, 400, b"bad request\n")
            return
        if path == GATEWAY_HEALTH:
            await _answer(send, 200, b"ok\n")
            return
        route = None if is_hidden(path) else self.route(path)
        if route is None:
            await _answer(send, 404, NOT_FOUND)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.isdigit():
            await _answer(send, 400, b"bad content-length\n")
            return
        if declared is not None and int(declared) > self.body_limit:
            await _answer(send, 413, TOO_LARGE)
            return
        await self._forward(scope, receive, send, route)

    async def _forward(self, scope: Scope, receive: Receive, send: Send, route: Route) -> None:
        assert self.client is not None, "lifespan startup creates the client"
        target: bytes = scope.get("raw_path") or scope["path"].encode()
        if scope["query_string"]:
            target += b"?" + scope["query_string"]
        request = httpx.Request(
            scope["method"],
            httpx.URL(scheme="http", host="127.0.0.1", port=route.service.port, raw_path=target),
            headers=_upstream_headers(scope),
            content=self._body(receive) if _has_body(scope["headers"]) else None,
        )
        try:
            upstream = await self.client.send(request, stream=True)
        except BodyTooLarge:
            await _answer(send, 413, TOO_LARGE)
            return
        except ClientGone:
            return
        except httpx.TimeoutException:
            await _answer(send, 504, b"gateway timeout\n")
            return
        except httpx.HTTPError:
            await _answer(send, 502, b"bad gateway\n")
            return
        try:
            await _relay(upstream, send)
        finally:
            await upstream.aclose()

    async def _body(self, receive: Receive) -> AsyncIterator[bytes]:
        received = 0
        while True:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk: bytes = message.get("body", b"")
            received += len(chunk)
            if received > self.body_limit:
                raise BodyTooLarge
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name in (b"content-length", b"transfer-encoding") for name, _ in headers)


def _upstream_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    client = scope.get("client")
    kept = [
        (name, value)
        for name, value in scope["headers"]
        if name not in _HOP_BY_HOP and name not in _NOT_PASSED_ON
    ]
    return [
        *kept,
        (b"x-forwarded-for", (client[0] if client else "").encode()),
        (b"x-forwarded-proto", scope["scheme"].encode()),
        (b"x-request-id", secrets.token_hex(16).encode()),  # like nginx's $request_id
    ]


async def _relay(upstream: httpx.Response, send: Send) -> None:
    headers = [
        (name.lower(), value)
        for name, value in upstream.headers.raw
        if name.lower() not in _HOP_BY_HOP
    ]
    await send({"type": "http.response.start", "status": upstream.status_code, "headers": headers})
    async for chunk in upstream.aiter_raw():
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def server_config(gateway: Gateway, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        gateway,
        host="127.0.0.1",
        port=port,
        proxy_headers=False,  # the gateway is where X-Forwarded-For starts
        server_header=False,
        date_header=False,  # the services' own headers pass through
        access_log=False,
        log_level="warning",
        loop="uvloop",
        http="httptools",
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m stack.proxy", description=__doc__)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--port-offset", type=int, default=0, help="as STACK_PORT_OFFSET")
    args = parser.parse_args()
    uvicorn.Server(server_config(Gateway(routes(available(args.port_offset))), args.port)).run()


if __name__ == "__main__":
    main()
