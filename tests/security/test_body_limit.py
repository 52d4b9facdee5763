"""Every service limits request bodies itself (issue 9.8): the gateway's limit is not the
only guard. An oversized body is refused with 413 before it is read whole, whether its
length is declared or it comes chunked. (An anonymous caller is refused earlier still, with
a 401: test_authenticate_first.py.)"""

from collections.abc import AsyncIterator, Callable
from typing import cast

import httpx
import pytest

from tests.security.conftest import api_service_names
from tests.support.directory import Tenant
from tests.support.servers import RunningServer, api_routes


def body_limit(server: RunningServer) -> int:
    """The limit the service runs with (MAX_BODY_BYTES: 1 MiB by default, more where a
    route takes files, as the directory's imports)."""
    for middleware in server.app.user_middleware:
        options: dict[str, object] = dict(middleware.kwargs)
        if "max_body_bytes" in options:
            return cast(int, options["max_body_bytes"])
    raise AssertionError("the service has no request-context middleware")


def a_post_route(server: RunningServer) -> str:
    """A route that reads a body: one without parameters if any, else the provider's."""
    posts = sorted(
        (path for method, path in api_routes(server.app) if method == "POST"),
        key=lambda path: ("{" in path, path),
    )
    return posts[0].replace("{provider}", "postmark")


async def chunks(total: int) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b"[" + b"0," * 32_767 + b"0]"
        sent += 65_536


@pytest.mark.parametrize("service", api_service_names())
async def test_an_oversized_body_is_refused(
    service: str, running: Callable[[str], RunningServer], tenant: Tenant
) -> None:
    server = running(service)
    path = a_post_route(server).replace("{token:path}", "t" * 43)
    kind = "application/x-www-form-urlencoded" if "/invite/" in path else "application/json"
    token = (await tenant.admin.post("/api/v1/auth/token")).json()["access_token"]
    headers = {"Content-Type": kind, "Authorization": f"Bearer {token}"}
    limit = body_limit(server)
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        declared = await client.post(path, content=b"x" * (limit + 1), headers=headers)
        chunked = await client.post(path, content=chunks(4 * limit), headers=headers)
    for response in (declared, chunked):
        assert response.status_code == 413, (path, response.text[:300])
        # The invitation page says so in a page once it reads the form itself.
        expected = {"application/problem+json"}
        if "/invite/" in path:
            expected.add("text/html; charset=utf-8")
        assert response.headers["content-type"] in expected
