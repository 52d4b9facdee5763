"""How a service other than the directory admits callers: the access token alone (as the
directory issues it)."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from services.directory.api.access_tokens import AccessTokenIssuer
from shared.http.dependencies import require_permission
from shared.http.problems import install_problem_handlers
from shared.security.access_tokens import AccessTokenVerifier, Principal
from shared.security.permissions import Permission
from tests.support.servers import RunningServer

ISSUER, AUDIENCE = "lms-directory", "lms"


@pytest.fixture(scope="module")
async def exports_like_service(jwt_keys: tuple[str, str]) -> AsyncIterator[RunningServer]:
    verifier = AccessTokenVerifier(jwt_keys[1], issuer=ISSUER, audience=AUDIENCE)
    app = FastAPI()
    install_problem_handlers(app)
    guard = require_permission(verifier, Permission.EXPORTS_CREATE)

    @app.post("/api/v1/exports")
    async def create_export(principal: Annotated[Principal, Depends(guard)]) -> dict[str, str]:
        return {"tenant": str(principal.tenant_id)}

    server = await RunningServer(app).start()
    yield server
    await server.stop()


def token(private_key: str, permissions: set[str], ttl: timedelta = timedelta(minutes=5)) -> str:
    issuer = AccessTokenIssuer(private_key, issuer=ISSUER, audience=AUDIENCE, ttl=ttl)
    principal = Principal(uuid.uuid4(), uuid.uuid4(), "admin", frozenset(permissions), uuid.uuid4())
    return issuer.issue(principal)


async def call(server: RunningServer, bearer: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    async with httpx.AsyncClient(base_url=server.url) as client:
        return await client.post("/api/v1/exports", headers=headers)


async def test_a_token_with_the_permission_is_admitted(
    exports_like_service: RunningServer, jwt_keys: tuple[str, str]
) -> None:
    response = await call(exports_like_service, token(jwt_keys[0], {"exports:create"}))
    assert response.status_code == 200


async def test_no_token_wrong_permission_expired_or_forged_are_refused(
    exports_like_service: RunningServer, jwt_keys: tuple[str, str]
) -> None:
    from services.directory.cli.keygen import new_key_pair

    learner = token(jwt_keys[0], set())
    expired = token(jwt_keys[0], {"exports:create"}, ttl=timedelta(seconds=-1))
    forged = token(new_key_pair()[0], {"exports:create"})

    assert (await call(exports_like_service, None)).status_code == 401
    assert (await call(exports_like_service, learner)).status_code == 403
    assert (await call(exports_like_service, expired)).status_code == 401
    assert (await call(exports_like_service, forged)).status_code == 401
