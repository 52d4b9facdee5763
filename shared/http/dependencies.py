"""FastAPI dependencies every service uses: the request's unit of work, and the caller
verified from the directory's access token."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security.utils import get_authorization_scheme_param

from shared.errors import Forbidden, Unauthenticated
from shared.runtime import ServiceRuntime
from shared.security.access_tokens import AccessTokenVerifier, Principal
from shared.security.permissions import Permission
from shared.unit_of_work import UnitOfWork


def runtime(request: Request) -> ServiceRuntime:
    value: ServiceRuntime = request.app.state.runtime
    return value


async def unit_of_work(request: Request) -> AsyncIterator[Any]:
    """One transaction per request, committed (with its events) before the response."""
    async with runtime(request).unit_of_work() as uow:
        yield uow


UoW = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]


def bearer_token(request: Request) -> str | None:
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    return token if scheme.lower() == "bearer" and token else None


def require_permission(
    verifier: AccessTokenVerifier, permission: Permission
) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that admits only a caller whose access token grants `permission`."""

    async def dependency(request: Request) -> Principal:
        token = bearer_token(request)
        if token is None:
            raise Unauthenticated("Authentication required: send a Bearer access token.")
        principal = verifier.verify(token)
        if not principal.can(permission):
            raise Forbidden(f"This needs the {permission.value} permission.")
        return principal

    return dependency
