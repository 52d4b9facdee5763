"""Who is calling, and the per-request database transaction.

In the directory every request checks its session against the database, so that a
deactivated user or a revoked session stops working at once; other services only
verify the short-lived access token.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import sessions as sessions_db
from services.directory.settings import DirectorySettings
from services.directory.usecases.auth import principal_from_cookie
from shared.errors import Forbidden, Unauthenticated
from shared.http.dependencies import bearer_token
from shared.runtime import ServiceRuntime
from shared.security.access_tokens import AccessTokenIssuer, AccessTokenVerifier, Principal
from shared.security.permissions import Permission


def runtime(request: Request) -> ServiceRuntime:
    value: ServiceRuntime = request.app.state.runtime
    return value


def settings(request: Request) -> DirectorySettings:
    value: DirectorySettings = request.app.state.settings
    return value


def token_issuer(request: Request) -> AccessTokenIssuer:
    value: AccessTokenIssuer = request.app.state.token_issuer
    return value


def token_verifier(request: Request) -> AccessTokenVerifier:
    value: AccessTokenVerifier = request.app.state.token_verifier
    return value


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent."""
    async with runtime(request).db.transaction() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(db_session, scope="function")]
Settings = Annotated[DirectorySettings, Depends(settings)]
Issuer = Annotated[AccessTokenIssuer, Depends(token_issuer)]


async def authenticate(request: Request, session: AsyncSession) -> Principal | None:
    token = bearer_token(request)
    if token is not None:
        claimed = token_verifier(request).verify(token)
        if claimed.session_id is None:
            return None
        return await sessions_db.principal_for_session(
            session, claimed.tenant_id, claimed.session_id, datetime.now(UTC)
        )
    cookie = request.cookies.get(settings(request).session_cookie_name)
    return await principal_from_cookie(session, cookie) if cookie else None


async def current_principal(request: Request, session: DbSession) -> Principal:
    principal = await authenticate(request, session)
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
