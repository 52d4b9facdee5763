"""What the pages need, set up once by the composition root."""

from dataclasses import dataclass

from fastapi import Request

from services.invitations.api.csrf import CsrfGuard
from services.invitations.api.rendering import PageRenderer
from services.invitations.usecases.choose_password import AcceptRules


@dataclass(frozen=True)
class PageContext:
    renderer: PageRenderer
    csrf: CsrfGuard
    rules: AcceptRules
    login_url: str


def page_context(request: Request) -> PageContext:
    context: PageContext = request.app.state.pages
    return context
