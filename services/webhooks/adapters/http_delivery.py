"""Sends one signed delivery and says what came of it; never raises for the receiver's
faults (they are the result), never follows a redirect, never dials an unchecked address."""

import asyncio
import json
import ssl
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import httpcore
import httpx

from services.webhooks.adapters.pinned_transport import PinnedTransport, UnsafeAddress
from services.webhooks.adapters.resolver import Resolver, SystemResolver
from services.webhooks.adapters.signing import signature_headers
from services.webhooks.domain.responses import AttemptResult, status_error
from services.webhooks.domain.targets import TargetPolicy, UnsafeTarget, check_target_url

USER_AGENT = "lms-webhooks/1.0"
# The body is read only to keep the connection reusable and to quote an error; a
# receiver answering more than this gets its connection closed instead.
MAX_RESPONSE_BYTES = 64 * 1024
ERROR_EXCERPT_CHARS = 200


def json_body(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes sent and signed."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class WebhookSender:
    def __init__(
        self,
        *,
        resolver: Resolver | None = None,
        allow_http: bool = False,
        allow_private: bool = False,
        connect_timeout: float = 5.0,
        total_timeout: float = 15.0,
        max_connections: int = 200,
        ssl_context: ssl.SSLContext | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        """`allow_http` and `allow_private` are for tests and local development only.
        `network_backend` replaces the sockets (tests: a network of our own)."""
        self._policy = TargetPolicy(allow_http=allow_http, allow_private=allow_private)
        self._total_timeout = total_timeout
        transport = PinnedTransport(
            resolver=resolver or SystemResolver(),
            allow_private=allow_private,
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            limits=httpx.Limits(max_connections=max_connections),
            network_backend=network_backend,
        )
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(total_timeout, connect=connect_timeout),
            headers={
                "user-agent": user_agent,
                "content-type": "application/json",
                "accept-encoding": "identity",  # error excerpts are quoted as sent
            },
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(
        self,
        url: str,
        *,
        event_id: str,
        payload: Mapping[str, Any],
        secret: str,
        now: datetime | None = None,
    ) -> AttemptResult:
        """POST `payload` to `url`, signed with `secret`; `event_id` is the `webhook-id`
        (the same on every retry), `now` the signature's time (default: the clock)."""
        started = time.perf_counter()

        def result(status: int | None, error: str | None) -> AttemptResult:
            return AttemptResult(status, (time.perf_counter() - started) * 1000, error)

        try:
            target = check_target_url(url, self._policy)
        except UnsafeTarget as refusal:
            return result(None, f"refused: {refusal}")
        body = json_body(payload)
        headers = signature_headers(secret, event_id, now or datetime.now(UTC), body)
        try:
            async with asyncio.timeout(self._total_timeout):
                status, error = await self._post(target.url, body, headers)
        except TimeoutError:
            return result(None, f"no complete answer within {self._total_timeout:g} s")
        except httpx.HTTPError as failure:
            return result(None, _describe(failure))
        return result(status, error)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str | None]:
        async with self._client.stream("POST", url, content=body, headers=headers) as response:
            excerpt = await _read_excerpt(response)
            error = status_error(response.status_code, response.headers.get("location"))
            if error and excerpt:
                error = f"{error}: {excerpt}"
            return response.status_code, error


async def _read_excerpt(response: httpx.Response) -> str:
    received = bytearray()
    async for chunk in response.aiter_raw():
        received += chunk
        if len(received) > MAX_RESPONSE_BYTES:
            break
    text = received[: ERROR_EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    return " ".join(text.split())[:ERROR_EXCERPT_CHARS]


def _describe(failure: httpx.HTTPError) -> str:
    if isinstance(failure, UnsafeAddress):
        return f"refused: {failure}"
    if isinstance(failure, httpx.ConnectTimeout):
        return "connection timed out"
    if isinstance(failure, httpx.TimeoutException):
        return "timed out waiting for the answer"
    detail = str(failure) or type(failure).__name__
    if isinstance(failure, httpx.ConnectError):
        return f"could not connect: {detail}"
    return f"{type(failure).__name__}: {detail}"
