"""Every route of the directory, checked from its route table: a new route that forgets
its guard fails here. The few routes that need no admin are listed explicitly."""

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.bus import BusSpy, EventPublisher
from tests.support.directory import Tenant, activate
from tests.support.servers import RunningServer, api_routes

PUBLIC = {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/password-reset"),
    ("GET", "/api/v1/auth/jwks.json"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),  # not routed by the gateway: for the scraper inside the network
}
ANY_LOGGED_IN_USER = {
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/auth/me"),
}
DOCUMENTATION = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def routes(directory: RunningServer) -> list[tuple[str, str]]:
    return api_routes(directory.app)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


@pytest.fixture
async def learner(
    tenant: Tenant, events: EventPublisher, bus: BusSpy
) -> AsyncIterator[httpx.AsyncClient]:
    user = await tenant.invite()
    client = await activate(events, bus, tenant, user, "a learner's own passphrase")
    yield client
    await client.aclose()


def test_the_route_table_is_what_this_test_knows(directory: RunningServer) -> None:
    table = set(routes(directory))
    assert table >= PUBLIC | ANY_LOGGED_IN_USER
    admin_routes = table - PUBLIC - ANY_LOGGED_IN_USER
    assert len(admin_routes) >= 15, "the admin API is all there"


async def test_anonymous_callers_get_401_on_every_route_but_the_public_ones(
    directory: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=directory.url) as anonymous:
        for method, path in routes(directory):
            if (method, path) in PUBLIC:
                continue
            response = await anonymous.request(method, concrete(path), json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"


async def test_learners_get_403_on_every_admin_route(
    directory: RunningServer, learner: httpx.AsyncClient
) -> None:
    for method, path in routes(directory):
        if (method, path) in PUBLIC | ANY_LOGGED_IN_USER:
            continue
        response = await learner.request(method, concrete(path), json={})
        assert response.status_code == 403, (method, path, response.text)
        assert "permission" in response.json()["detail"]


async def test_learners_can_see_who_they_are_and_log_out(learner: httpx.AsyncClient) -> None:
    me = await learner.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["role"] == "learner"
    assert me.json()["permissions"] == []
    assert (await learner.post("/api/v1/auth/logout")).status_code == 204
    assert (await learner.get("/api/v1/auth/me")).status_code == 401


async def test_the_documentation_routes_are_public_and_hold_no_data(
    directory: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=directory.url) as anonymous:
        for path in DOCUMENTATION - {"/docs/oauth2-redirect"}:
            assert (await anonymous.get(path)).status_code == 200
