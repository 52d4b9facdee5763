"""What the pages and the API need, set up once by the composition root; who is calling
the API (the directory's access token, verified here)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.invitations.api.csrf import CsrfGuard
from services.invitations.api.rendering import PageRenderer
from services.invitations.usecases.choose_password import AcceptRules
from shared.http.authentication import authenticates_first
from shared.http.dependencies import require_permission
from shared.security.access_tokens import AccessTokenVerifier, Principal
from shared.security.permissions import Permission


@dataclass(frozen=True)
class PageContext:
    renderer: PageRenderer
    csrf: CsrfGuard
    rules: AcceptRules
    login_url: str


def page_context(request: Request) -> PageContext:
    context: PageContext = request.app.state.pages
    return context


@authenticates_first
async def suppressions_admin(request: Request) -> Principal:
    """An administrator whose access token allows managing the suppression list."""
    verifier: AccessTokenVerifier = request.app.state.token_verifier
    return await require_permission(verifier, Permission.SUPPRESSIONS_MANAGE)(request)


SuppressionsAdmin = Annotated[Principal, Depends(suppressions_admin)]
