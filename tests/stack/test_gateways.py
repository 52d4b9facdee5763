"""The route table (stack/services.py) served by both gateways: nginx with the generated
config and the built-in gateway used when nginx is absent. Each test runs through both."""

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator

import httpx

from stack.gateway import BODY_LIMIT_BYTES
from stack.services import routes
from tests.stack.conftest import STREAM_PATH, Echoes, RunningGateway


async def raw_status(port: int, target: str) -> int:
    """The status for a request line sent as written (httpx would tidy `..` and `//`)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {target} HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n".encode()
    )
    await writer.drain()
    response = await reader.read()
    writer.close()
    await writer.wait_closed()
    return int(response.split(b" ", 2)[1])


async def test_every_prefix_reaches_its_service(gateway: RunningGateway, echoes: Echoes) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        for route in routes(echoes.services):
            if route.service == echoes.down:
                continue
            for path in (route.prefix, f"{route.prefix.rstrip('/')}/some/thing"):
                seen = (await client.get(path)).json()
                assert seen["service"] == route.service.name, (gateway.kind, path)
                assert seen["raw_path"] == path


async def test_metrics_are_never_served_through_the_gateway(gateway: RunningGateway) -> None:
    for target in (
        "/metrics",
        "/metrics/",
        "/metrics?name=http_requests_total",
        "/metrics/anything",
        "//metrics",
        "/./metrics",
        "/%6Detrics",
        "/api/v1/../../metrics",
    ):
        assert await raw_status(gateway.port, target) == 404, (gateway.kind, target)


async def test_the_gateway_answers_its_own_health(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        health = await client.get("/health")
    assert (health.status_code, health.text) == (200, "ok\n")


async def test_method_path_query_and_headers_reach_the_service(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        answer = await client.patch(
            "/invite/abc%2Fdef?a=1&b=%20x",
            headers={
                "Host": "lms.example.test",
                "X-Forwarded-For": "203.0.113.9",  # a client's claim: never passed on
                "X-Forwarded-Proto": "https",
                "X-Request-ID": "chosen-by-the-client",
                "X-Custom": "kept",
            },
            content=b'{"a": 1}',
        )
    seen = answer.json()
    headers: dict[str, list[str]] = {}
    for name, value in seen["headers"]:
        headers.setdefault(name, []).append(value)
    assert (seen["service"], seen["method"]) == ("invitations", "PATCH")
    assert (seen["raw_path"], seen["query"]) == ("/invite/abc%2Fdef", "a=1&b=%20x")
    assert headers["x-forwarded-for"] == ["127.0.0.1"], gateway.kind
    assert headers["x-forwarded-proto"] == ["http"]
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"][0])
    assert len(headers["x-request-id"]) == 1
    assert headers["host"] == ["lms.example.test"]
    assert headers["x-custom"] == ["kept"]
    assert seen["body_sha256"] == hashlib.sha256(b'{"a": 1}').hexdigest()
    assert answer.headers.get_list("set-cookie") == ["a=1", "b=2"]


async def test_a_body_of_10_mb_arrives_whole(gateway: RunningGateway) -> None:
    body = bytes(range(256)) * (BODY_LIMIT_BYTES // 256)
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:
        answer = await client.post("/api/v1/exports", content=body)
    seen = answer.json()
    assert (seen["body_size"], seen["body_sha256"]) == (
        BODY_LIMIT_BYTES,
        hashlib.sha256(body).hexdigest(),
    )


async def test_a_body_over_10_mb_is_refused_with_413(gateway: RunningGateway) -> None:
    too_big = b"x" * (BODY_LIMIT_BYTES + 1)

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(too_big), 1024 * 1024):
            yield too_big[start : start + 1024 * 1024]

    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:
        declared = await client.post("/api/v1/exports", content=too_big)
        streamed = await client.post("/api/v1/exports", content=chunked())
    assert (declared.status_code, streamed.status_code) == (413, 413), gateway.kind


async def test_a_service_that_does_not_answer_is_a_502(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        answer = await client.get("/down/there")
    assert answer.status_code == 502


async def test_the_answer_is_streamed_as_the_service_sends_it(
    gateway: RunningGateway, echoes: Echoes
) -> None:
    """The service holds its answer after "first": the client must already have it."""
    echoes.coordination.release_response.clear()
    async with (
        httpx.AsyncClient(base_url=gateway.url) as client,
        client.stream("GET", STREAM_PATH) as answer,
    ):
        received = b""
        chunks = answer.aiter_raw()
        async with asyncio.timeout(5):
            while b"first\n" not in received:
                received += await anext(chunks)
        echoes.coordination.release_response.set()
        async for chunk in chunks:
            received += chunk
    assert received == b"first\nsecond\n"


async def test_the_builtin_gateway_streams_request_bodies(
    builtin: RunningGateway, echoes: Echoes
) -> None:
    """The client sends its second part only once the service has the first."""
    echoes.coordination.first_body_chunk.clear()

    async def body() -> AsyncIterator[bytes]:
        yield b"part one"
        await asyncio.wait_for(echoes.coordination.first_body_chunk.wait(), 5)
        yield b"part two"

    async with httpx.AsyncClient(base_url=builtin.url) as client:
        answer = await client.post("/api/v1/exports", content=body())
    assert answer.json()["body_size"] == len(b"part onepart two")
