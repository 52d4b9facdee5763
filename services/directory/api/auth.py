"""/api/v1/auth: log in, log out, fresh access tokens, the public key."""

import base64
from datetime import timedelta
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, Field

from services.directory.api.dependencies import (
    CurrentPrincipal,
    DbSession,
    Issuer,
    Settings,
    runtime,
)
from services.directory.db import users as users_db
from services.directory.domain.login_throttle import ThrottlePolicy
from services.directory.settings import DirectorySettings
from services.directory.usecases.auth import LoggedIn, log_in, log_out
from shared.errors import RateLimited, Unauthenticated
from shared.schemas import RequestModel
from shared.security.access_tokens import Principal

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

INVALID_CREDENTIALS = "Invalid e-mail address or password."


class LoginIn(RequestModel):
    tenant: str = Field(min_length=1, max_length=63, description="The platform's slug.")
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class Me(BaseModel):
    id: str
    tenant_id: str
    email: str
    first_name: str
    last_name: str
    locale: str
    role: str
    permissions: list[str]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int


class LoginOut(TokenOut):
    user: Me


def throttle_policy(settings: Settings) -> ThrottlePolicy:
    return ThrottlePolicy(
        free_failures=settings.login_free_failures,
        max_wait=timedelta(seconds=settings.login_max_wait_seconds),
        reset_after=timedelta(hours=settings.login_reset_hours),
    )


@router.post("/login", summary="Log in: an access token and an HttpOnly session cookie")
async def login(
    body: LoginIn,
    request: Request,
    response: Response,
    settings: Settings,
    issuer: Issuer,
    policy: Annotated[ThrottlePolicy, Depends(throttle_policy)],
) -> LoginOut:
    # Its own transaction: a refused login must still be counted, so it commits either way.
    async with runtime(request).db.transaction() as session:
        outcome = await log_in(
            session,
            tenant_slug=body.tenant,
            email=body.email,
            password=body.password,
            policy=policy,
            session_ttl=settings.session_ttl,
            user_agent=request.headers.get("user-agent"),
        )
    if not isinstance(outcome, LoggedIn):
        if outcome.retry_after:
            raise RateLimited(
                "Too many failed attempts for this account; try again later.",
                retry_after=outcome.retry_after,
            )
        raise Unauthenticated(INVALID_CREDENTIALS)
    _set_session_cookie(response, settings, outcome.cookie_value)
    user = outcome.user
    me = _me(outcome.principal, user.email, user.first_name, user.last_name, user.locale)
    return LoginOut(**_token(issuer, outcome.principal).model_dump(), user=me)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this session")
async def logout(principal: CurrentPrincipal, session: DbSession, settings: Settings) -> Response:
    await log_out(session, principal)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        settings.session_cookie_name,
        path="/",
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/token", summary="A fresh access token for the current session")
async def refresh_token(principal: CurrentPrincipal, issuer: Issuer) -> TokenOut:
    return _token(issuer, principal)


@router.get("/me", summary="Who is logged in")
async def me(principal: CurrentPrincipal, session: DbSession) -> Me:
    user = await users_db.get_user(session, principal.tenant_id, principal.user_id)
    if user is None:
        raise Unauthenticated("Authentication required: log in first.")
    return _me(principal, user.email, user.first_name, user.last_name, user.locale)


@router.get("/jwks.json", summary="The public key that verifies access tokens (JWKS)")
async def jwks(request: Request) -> dict[str, list[dict[str, str]]]:
    settings: DirectorySettings = request.app.state.settings
    key = load_pem_public_key(settings.jwt_public_key.encode())
    assert isinstance(key, Ed25519PublicKey)
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "x": x}]}


def _token(issuer: Issuer, principal: Principal) -> TokenOut:
    return TokenOut(
        access_token=issuer.issue(principal), expires_in=int(issuer.ttl.total_seconds())
    )


def _me(principal: Principal, email: str, first: str, last: str, locale: str) -> Me:
    return Me(
        id=str(principal.user_id),
        tenant_id=str(principal.tenant_id),
        email=email,
        first_name=first,
        last_name=last,
        locale=locale,
        role=principal.role,
        permissions=sorted(principal.permissions),
    )


def _set_session_cookie(response: Response, settings: DirectorySettings, value: str) -> None:
    response.set_cookie(
        settings.session_cookie_name,
        value,
        max_age=int(settings.session_ttl.total_seconds()),
        path="/",
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="strict",
    )
