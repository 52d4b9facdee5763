"""A caller who is not authenticated is refused before the body is read (issue 9.8): an
anonymous or forged caller sending an oversized or malformed body to any guarded route that
takes one gets 401, not the 413 or 422 that would show the body was read. Every route of
every API service, from the route tables (public and provider-signed routes aside)."""

import re
import uuid
from collections.abc import Callable
from itertools import product

import httpx

from tests.security.conftest import Tokens, api_service_names
from tests.security.test_body_limit import body_limit
from tests.security.test_route_matrix import PUBLIC, SIGNED
from tests.support.directory import Tenant
from tests.support.servers import RunningServer, api_routes

BODY_METHODS = {"POST", "PUT", "PATCH"}


def guarded_routes_with_a_body(service: str, server: RunningServer) -> list[tuple[str, str]]:
    signed = SIGNED.get(service)
    return [
        (method, re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path))
        for method, path in api_routes(server.app)
        if method in BODY_METHODS
        and (method, path) not in PUBLIC.get(service, set())
        and not (signed and signed.match(path))
    ]


async def test_no_body_is_read_before_the_caller_is_known(
    running: Callable[[str], RunningServer], tokens: Tokens, tenant: Tenant
) -> None:
    forged = tokens.forged(tenant.id)["signed by another key"]
    callers = {"anonymous": {}, "forged token": {"Authorization": f"Bearer {forged}"}}
    checked: list[tuple[str, str, str]] = []
    for service in api_service_names():
        server = running(service)
        oversized = b"[" + b"0," * body_limit(server) + b"0]"
        bodies = {"oversized": oversized, "malformed": b'{"name": "unfinished'}
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            for method, path in guarded_routes_with_a_body(service, server):
                checked.append((service, method, path))
                for (body_name, body), (caller, headers) in product(
                    bodies.items(), callers.items()
                ):
                    response = await client.request(
                        method,
                        path,
                        content=body,
                        headers={**headers, "Content-Type": "application/json"},
                    )
                    what = (service, method, path, body_name, caller, response.text[:200])
                    assert response.status_code == 401, what
                    assert response.headers["content-type"] == "application/problem+json"
    assert {service for service, _, _ in checked} >= {"directory", "webhooks", "exports"}
