"""Every route of every API service × every caller that must be refused: anonymous, a
learner, another tenant's administrator, forged tokens. Generated from the services' route
tables (stack/services.py, then each app's routes): a new route, or a new service, is in
the matrix without anyone remembering to add it. Public routes are listed explicitly."""

import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.security.conftest import Tokens, api_service_names
from tests.support.bus import BusSpy, EventPublisher
from tests.support.directory import Tenant, activate, new_tenant
from tests.support.servers import RunningServer, api_routes

OPERATIONS = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")}
DOCUMENTATION = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
# Routes anyone may call, by service; every other route needs a caller the service trusts.
PUBLIC = {
    "directory": {
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/password-reset"),
        ("GET", "/api/v1/auth/jwks.json"),
    },
    "invitations": {("GET", "/invite/{token:path}"), ("POST", "/invite/{token:path}")},
}
# Routes any logged-in user may call (their own session and profile).
ANY_USER = {
    "directory": {
        ("POST", "/api/v1/auth/logout"),
        ("POST", "/api/v1/auth/token"),
        ("GET", "/api/v1/auth/me"),
    },
}
# Routes that authenticate the sender by a signature over the body (the e-mail providers):
# unsigned calls are refused whoever sends them.
SIGNED = {"bounces": re.compile(r"^/webhooks/email/")}
REFUSED = {401, 403}


@dataclass
class Caller:
    name: str
    headers: dict[str, str]
    refused: frozenset[int]
    real_user: bool = False  # a user of some tenant (may see their own session and profile)


@dataclass
class Matrix:
    tenant: Tenant
    ids: dict[str, str]  # path parameter → a real resource of the tenant
    callers: list[Caller]

    @property
    def markers(self) -> set[str]:
        """What only tenant A's answers hold."""
        return {*self.ids.values(), str(self.tenant.id), self.tenant.admin_email}


@pytest.fixture
async def matrix(
    tenant: Tenant,
    tokens: Tokens,
    events: EventPublisher,
    bus: BusSpy,
    directory: RunningServer,
    directory_config: object,
) -> AsyncIterator[Matrix]:
    user = await tenant.invite()
    learner = await activate(events, bus, tenant, user, "a learner's own passphrase")
    other = await new_tenant(directory_config, directory.url, "other")  # type: ignore[arg-type]
    group = await tenant.admin.post("/api/v1/groups", json={"name": "Audit"})
    field = await tenant.admin.post(
        "/api/v1/custom-fields", json={"key": "audit", "label": "Audit", "type": "text"}
    )
    ids = {
        "user_id": user["id"],
        "group_id": group.json()["id"],
        "field_id": field.json()["id"],
    }
    callers = [
        Caller("anonymous", {}, frozenset(REFUSED)),
        Caller("learner", await bearer(learner), frozenset({403, 401}), real_user=True),
        Caller(
            "other tenant's admin",
            await bearer(other.admin),
            frozenset({401, 403, 404, 422, 428}),
            real_user=True,
        ),
        *(
            Caller(f"forged: {name}", {"Authorization": f"Bearer {token}"}, frozenset({401}))
            for name, token in tokens.forged(tenant.id).items()
        ),
    ]
    yield Matrix(tenant, ids, callers)
    await learner.aclose()
    await other.admin.aclose()


async def bearer(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token")
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def concrete(path: str, ids: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return ids.get(name, str(uuid.uuid4()))

    return re.sub(r"\{([^}]+)\}", fill, path)


@pytest.mark.parametrize("service", api_service_names())
async def test_every_route_refuses_every_caller_it_must(
    service: str, running: Callable[[str], RunningServer], matrix: Matrix
) -> None:
    server = running(service)
    public = OPERATIONS | PUBLIC.get(service, set())
    routes = [(m, p) for m, p in api_routes(server.app) if p not in DOCUMENTATION]
    assert routes, f"{service} has no routes"
    wrongly_allowed = []
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        for method, path in routes:
            if (method, path) in public:
                continue
            for caller in matrix.callers:
                if caller.real_user and (method, path) in ANY_USER.get(service, set()):
                    continue
                refused = caller.refused
                if (signed := SIGNED.get(service)) and signed.match(path):
                    refused = frozenset({400, 401, 403, 404, 413, 415})
                response = await client.request(
                    method, concrete(path, matrix.ids), json={}, headers=caller.headers
                )
                if caller.real_user and "{" not in path and response.status_code < 300:
                    # A list or a page of the caller's own tenant: nothing of tenant A in it.
                    assert not matrix.markers & set(re.findall(r"[\w.@-]+", response.text))
                    continue
                if response.status_code not in refused:
                    wrongly_allowed.append(
                        (caller.name, method, path, response.status_code, response.text[:200])
                    )
                elif not response.headers["content-type"].startswith("application/problem+json"):
                    wrongly_allowed.append((caller.name, method, path, 0, "not a problem document"))
    assert wrongly_allowed == []


@pytest.mark.parametrize("service", api_service_names())
async def test_public_routes_never_fail_whoever_calls(
    service: str, running: Callable[[str], RunningServer], matrix: Matrix
) -> None:
    server = running(service)
    public = OPERATIONS | PUBLIC.get(service, set())
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        for method, path in public & set(api_routes(server.app)):
            for caller in matrix.callers:
                response = await client.request(
                    method, concrete(path, matrix.ids), json={}, headers=caller.headers
                )
                assert response.status_code < 500, (caller.name, method, path, response.text)
