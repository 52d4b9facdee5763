"""FastAPI dependencies for services that trust the directory's access tokens."""

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.security.utils import get_authorization_scheme_param

from shared.errors import Forbidden, Unauthorized
from shared.security.access_tokens import AccessTokenVerifier, Principal
from shared.security.permissions import Permission


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
            raise Unauthorized("Authentication required: send a Bearer access token.")
        principal = verifier.verify(token)
        if not principal.can(permission):
            raise Forbidden(f"This needs the {permission.value} permission.")
        return principal

    return dependency
