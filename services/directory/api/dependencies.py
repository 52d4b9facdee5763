"""What routes are given: the request's unit of work, the settings, and who is calling.

In the directory every request checks its session against the database (the
`authenticate` use case), so that a deactivated user or a revoked session stops working at
once; other services only verify the short-lived access token.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from services.directory.api.access_tokens import AccessTokenIssuer
from services.directory.settings import DirectorySettings
from services.directory.usecases.authenticate import authenticate
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.errors import Forbidden, Unauthenticated
from shared.http.authentication import authenticates_first
from shared.http.dependencies import bearer_token, runtime, unit_of_work
from shared.security.access_tokens import AccessTokenVerifier, Principal
from shared.security.permissions import Permission

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def refuse_cross_site(request: Request) -> None:
    """A change made with the session cookie must come from our own pages: SameSite alone
    lets a same-site page (or a browser without SameSite) post a `text/plain` form. Browsers
    send Sec-Fetch-Site, and Origin on every unsafe request; a client without either (a
    script with a stolen cookie gains nothing from this check) passes."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise Forbidden("Cross-site request refused: use the application's own pages.")
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise Forbidden("Cross-origin request refused: use the application's own pages.")


# Dependencies are `async def` even when they only read app state: FastAPI runs a plain
# `def` in a worker thread, a hop that costs more than the lookup.
async def settings(request: Request) -> DirectorySettings:
    return _settings(request)


async def token_issuer(request: Request) -> AccessTokenIssuer:
    value: AccessTokenIssuer = request.app.state.token_issuer
    return value


def _settings(request: Request) -> DirectorySettings:
    value: DirectorySettings = request.app.state.settings
    return value


def _token_verifier(request: Request) -> AccessTokenVerifier:
    value: AccessTokenVerifier = request.app.state.token_verifier
    return value


@asynccontextmanager
async def separate_unit_of_work(request: Request) -> AsyncIterator[DirectoryUnitOfWork]:
    """A unit of work the route itself ends (commits) before it answers."""
    async with runtime(request).unit_of_work() as uow:
        assert isinstance(uow, DirectoryUnitOfWork)
        yield uow


# One transaction per request, committed (with the events it caused) before the response.
UoW = Annotated[DirectoryUnitOfWork, Depends(unit_of_work, scope="function")]
Settings = Annotated[DirectorySettings, Depends(settings)]
Issuer = Annotated[AccessTokenIssuer, Depends(token_issuer)]


@authenticates_first
async def current_principal(request: Request, uow: UoW) -> Principal:
    token = bearer_token(request)
    claimed = _token_verifier(request).verify(token) if token is not None else None
    cookie = request.cookies.get(_settings(request).session_cookie_name) if token is None else None
    if cookie is not None and request.method not in SAFE_METHODS:
        refuse_cross_site(request)
    principal = await authenticate(uow, claimed=claimed, cookie=cookie)
    if principal is None:
        raise Unauthenticated("Authentication required: log in first.")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            raise Forbidden(f"This needs the {permission.value} permission.")
        return principal

    return dependency


CanReadUsers = Annotated[Principal, Depends(require(Permission.USERS_READ))]
CanWriteUsers = Annotated[Principal, Depends(require(Permission.USERS_WRITE))]
CanInviteUsers = Annotated[Principal, Depends(require(Permission.USERS_INVITE))]
CanDeactivateUsers = Annotated[Principal, Depends(require(Permission.USERS_DEACTIVATE))]
CanManageGroups = Annotated[Principal, Depends(require(Permission.GROUPS_MANAGE))]
CanManageCustomFields = Annotated[Principal, Depends(require(Permission.CUSTOM_FIELDS_MANAGE))]
CanActInBulk = Annotated[Principal, Depends(require(Permission.USERS_BULK))]
