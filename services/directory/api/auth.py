"""/api/v1/auth: log in, log out, fresh access tokens, the public key."""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request, Response, status

from services.directory.api.access_tokens import AccessTokenIssuer
from services.directory.api.dependencies import (
    CurrentPrincipal,
    Issuer,
    Settings,
    UoW,
    separate_unit_of_work,
)
from services.directory.api.schemas import (
    Accepted,
    LoginIn,
    LoginOut,
    Me,
    PasswordResetIn,
    TokenOut,
)
from services.directory.domain.known_devices import (
    device_cookie,
    device_secret,
    parse_device_cookie,
)
from services.directory.domain.login_throttle import LoginThrottle, ThrottlePolicy
from services.directory.domain.password_reset import reset_throttle
from services.directory.domain.users import UserRecord
from services.directory.settings import DirectorySettings
from services.directory.usecases.get_current_user import get_current_user
from services.directory.usecases.log_in import Credentials, LoggedIn, LoginRules, log_in
from services.directory.usecases.log_out import log_out
from services.directory.usecases.password_reset import ResetAsked, ask_for_reset
from shared.errors import RateLimited, Unauthenticated
from shared.http.authentication import ServiceRouter
from shared.security.access_tokens import Principal

router = ServiceRouter(prefix="/api/v1/auth", tags=["auth"])

INVALID_CREDENTIALS = "Invalid e-mail address or password."


def login_rules(settings: Settings) -> LoginRules:
    def policy(free_failures: int, first_wait: timedelta = timedelta(seconds=1)) -> ThrottlePolicy:
        return ThrottlePolicy(
            free_failures=free_failures,
            first_wait=first_wait,
            max_wait=timedelta(seconds=settings.login_max_wait_seconds),
            reset_after=timedelta(hours=settings.login_reset_hours),
        )

    throttle = LoginThrottle(
        account_client=policy(settings.login_free_failures),
        client=policy(settings.login_client_free_failures),
        # Many addresses at once: new devices wait a minute at once (then longer).
        account=policy(settings.login_account_free_failures, timedelta(minutes=1)),
        device=policy(settings.login_free_failures),
        alert_after=settings.login_alert_after,
    )
    return LoginRules(throttle, settings.session_ttl, settings.known_device_ttl)


def client_address(request: Request) -> str:
    """The client's address: the peer's, or the one a trusted proxy reported (uvicorn's
    `--forwarded-allow-ips`: the gateway, and the admin console, which logs in for the
    browser)."""
    return request.client.host if request.client else "unknown"


@router.post("/login", summary="Log in: an access token and an HttpOnly session cookie")
async def login(
    body: LoginIn,
    request: Request,
    response: Response,
    settings: Settings,
    issuer: Issuer,
    rules: Annotated[LoginRules, Depends(login_rules)],
) -> LoginOut:
    secret = device_secret(settings.jwt_private_key)
    credentials = Credentials(
        body.tenant,
        body.email,
        body.password,
        request.headers.get("user-agent"),
        client=client_address(request),
        device=parse_device_cookie(secret, request.cookies.get(settings.known_device_cookie_name)),
    )
    # A unit of work of its own, ended before answering: a refused login is counted (and
    # committed) even though the answer is an error.
    async with separate_unit_of_work(request) as uow:
        outcome = await log_in(uow, credentials, rules)
    if not isinstance(outcome, LoggedIn):
        if outcome.retry_after:
            raise RateLimited(
                "Too many failed attempts for this account; try again later.",
                retry_after=outcome.retry_after,
            )
        raise Unauthenticated(INVALID_CREDENTIALS)
    _set_session_cookie(response, settings, outcome.cookie_value)
    if outcome.new_device_token:
        value = device_cookie(secret, outcome.principal.tenant_id, outcome.new_device_token)
        _set_device_cookie(response, settings, value)
    me = _me(outcome.principal, outcome.user)
    return LoginOut(**_token(issuer, outcome.principal).model_dump(), user=me)


RESET_ANSWER = (
    "If this address belongs to an active account of this platform, a link to choose a new "
    "password is on its way to it. The link works once, for one hour."
)


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Forgot the password: mail a link to choose a new one (the same answer always)",
)
async def password_reset(body: PasswordResetIn, request: Request, settings: Settings) -> Accepted:
    """Nothing says whether the platform or the account exists, nor whether an e-mail
    left; asking too often, for one address or from one client, is answered 429."""
    asked = ResetAsked(body.tenant, body.email, client_address(request))
    throttle = reset_throttle(
        settings.password_reset_per_hour, settings.password_reset_per_client_per_hour
    )
    async with separate_unit_of_work(request) as uow:  # counted even when refused
        wait = await ask_for_reset(uow, asked, throttle)
    if wait:
        raise RateLimited("Too many password-reset requests; try again later.", retry_after=wait)
    return Accepted(detail=RESET_ANSWER)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this session")
async def logout(principal: CurrentPrincipal, uow: UoW, settings: Settings) -> Response:
    await log_out(uow, principal)
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
async def me(principal: CurrentPrincipal, uow: UoW) -> Me:
    return _me(principal, await get_current_user(uow, principal))


@router.get("/jwks.json", summary="The public key that verifies access tokens (JWKS)")
async def jwks(issuer: Issuer) -> dict[str, list[dict[str, Any]]]:
    return issuer.jwks()


def _token(issuer: AccessTokenIssuer, principal: Principal) -> TokenOut:
    return TokenOut(
        access_token=issuer.issue(principal), expires_in=int(issuer.ttl.total_seconds())
    )


def _me(principal: Principal, user: UserRecord) -> Me:
    return Me(
        id=str(principal.user_id),
        tenant_id=str(principal.tenant_id),
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        locale=user.locale,
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


def _set_device_cookie(response: Response, settings: DirectorySettings, value: str) -> None:
    """Sent back only to /api/v1/auth: it matters to logins, nowhere else."""
    response.set_cookie(
        settings.known_device_cookie_name,
        value,
        max_age=int(settings.known_device_ttl.total_seconds()),
        path=router.prefix,
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="strict",
    )
