"""Logging in and out: sessions, access tokens, identical refusals, throttling."""

import uuid

import httpx
import jwt
import pytest

from services.directory.settings import DirectorySettings
from tests.support.bus import BusSpy, EventPublisher
from tests.support.directory import ADMIN_PASSWORD, Tenant, activate
from tests.support.servers import RunningServer

LEARNER_PASSWORD = "a long learner passphrase"


async def attempt(base_url: str, tenant: str, email: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url) as client:
        return await client.post(
            "/api/v1/auth/login", json={"tenant": tenant, "email": email, "password": password}
        )


async def test_login_gives_an_access_token_and_an_httponly_session_cookie(
    tenant: Tenant, directory: RunningServer, jwt_keys: tuple[str, str]
) -> None:
    response = await attempt(directory.url, tenant.slug, tenant.admin_email, ADMIN_PASSWORD)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["user"]["email"] == tenant.admin_email
    assert "users:read" in body["user"]["permissions"]
    claims = jwt.decode(body["access_token"], jwt_keys[1], algorithms=["EdDSA"], audience="lms")
    assert claims["tid"] == str(tenant.id)
    assert claims["sub"] == str(tenant.admin_id)
    assert claims["exp"] - claims["iat"] == body["expires_in"] <= 3600
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie


def test_the_session_cookie_is_secure_unless_configured_otherwise() -> None:
    assert DirectorySettings.model_fields["session_cookie_secure"].default is True


async def test_the_access_token_works_as_a_bearer_token(
    tenant: Tenant, directory: RunningServer
) -> None:
    login = await attempt(directory.url, tenant.slug, tenant.admin_email, ADMIN_PASSWORD)
    token = login.json()["access_token"]
    async with httpx.AsyncClient(base_url=directory.url) as client:
        me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        forged = await client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {token[:-4]}AAAA"}
        )
    assert me.status_code == 200
    assert me.json()["id"] == str(tenant.admin_id)
    assert forged.status_code == 401


async def test_a_token_signed_with_another_key_is_refused(
    tenant: Tenant, directory: RunningServer
) -> None:
    from services.directory.cli.keygen import new_key_pair

    other_private, _ = new_key_pair()
    claims = {
        "iss": "lms-directory",
        "aud": "lms",
        "sub": str(tenant.admin_id),
        "tid": str(tenant.id),
        "role": "admin",
        "perms": ["users:read"],
        "sid": str(uuid.uuid4()),
        "iat": 1_900_000_000,
        "exp": 4_000_000_000,
    }
    token = jwt.encode(claims, other_private, algorithm="EdDSA")
    async with httpx.AsyncClient(base_url=directory.url) as client:
        response = await client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_logout_ends_the_session_and_its_tokens(tenant: Tenant) -> None:
    client = await tenant.login(tenant.admin_email, ADMIN_PASSWORD)
    token = (await client.post("/api/v1/auth/token")).json()["access_token"]
    cookie = client.cookies.get("lms_session")
    assert cookie

    assert (await client.post("/api/v1/auth/logout")).status_code == 204

    async with httpx.AsyncClient(base_url=tenant.base_url) as stranger:
        stranger.cookies.set("lms_session", cookie)
        assert (await stranger.get("/api/v1/users")).status_code == 401
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await stranger.get("/api/v1/users", headers=bearer)).status_code == 401
    assert (await tenant.admin.get("/api/v1/users")).status_code == 200, "other sessions live on"
    await client.aclose()


async def test_a_fresh_access_token_comes_from_the_session_cookie(tenant: Tenant) -> None:
    response = await tenant.admin.post("/api/v1/auth/token")
    assert response.status_code == 200
    token = response.json()["access_token"]
    async with httpx.AsyncClient(base_url=tenant.base_url) as client:
        me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == tenant.admin_email


async def test_every_refusal_looks_the_same(
    tenant: Tenant, directory: RunningServer, events: EventPublisher, bus: BusSpy
) -> None:
    invited = await tenant.invite()
    deactivated = await tenant.invite()
    learner = await activate(events, bus, tenant, deactivated, LEARNER_PASSWORD)
    await learner.aclose()
    done = await tenant.admin.post(f"/api/v1/users/{deactivated['id']}/deactivate", json={})
    assert done.status_code == 200

    attempts = {
        "wrong password": (tenant.slug, tenant.admin_email, "not the password"),
        "unknown e-mail": (tenant.slug, "nobody@example.com", ADMIN_PASSWORD),
        "unknown tenant": ("no-such-tenant", tenant.admin_email, ADMIN_PASSWORD),
        "invited, not yet active": (tenant.slug, invited["email"], "whatever password"),
        "deactivated": (tenant.slug, deactivated["email"], LEARNER_PASSWORD),
    }
    answers = {}
    for reason, (slug, email, password) in attempts.items():
        response = await attempt(directory.url, slug, email, password)
        body = response.json()
        answers[reason] = (response.status_code, body["detail"], body["type"])
    assert len(set(answers.values())) == 1, answers
    assert next(iter(answers.values()))[0] == 401


async def test_repeated_failures_are_throttled_then_allowed_again_later(
    tenant: Tenant, directory: RunningServer
) -> None:
    for _ in range(5):
        refused = await attempt(directory.url, tenant.slug, tenant.admin_email, "wrong guess")
        assert refused.status_code == 401

    throttled = await attempt(directory.url, tenant.slug, tenant.admin_email, ADMIN_PASSWORD)

    assert throttled.status_code == 429, "even the right password waits"
    assert int(throttled.headers["Retry-After"]) >= 1
    assert "try again later" in throttled.json()["detail"]


async def test_throttling_does_not_reveal_whether_an_account_exists(
    tenant: Tenant, directory: RunningServer
) -> None:
    statuses = []
    for _ in range(6):
        response = await attempt(directory.url, tenant.slug, "ghost@example.com", "guess")
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"tenant": "acme", "email": "a@example.com"},
        {"tenant": "acme", "email": "a@example.com", "password": ""},
        {"tenant": "acme", "email": "a@example.com", "password": "x", "role": "admin"},
        {"tenant": "", "email": "a@example.com", "password": "x"},
    ],
)
async def test_a_malformed_login_says_what_is_wrong(
    directory: RunningServer, body: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=directory.url) as client:
        response = await client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith("Invalid request: body.")


async def test_the_public_key_is_published_as_jwks(directory: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=directory.url) as client:
        keys = (await client.get("/api/v1/auth/jwks.json")).json()["keys"]
    assert keys[0]["kty"] == "OKP"
    assert keys[0]["crv"] == "Ed25519"
