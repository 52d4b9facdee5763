"""What the pages need, set up once by the composition root."""

from dataclasses import dataclass

from fastapi import Request

from services.invitations.api.csrf import CsrfGuard
from services.invitations.api.rendering import PageRenderer
from services.invitations.settings import InvitationsSettings
from shared.db import Database


@dataclass(frozen=True)
class PageContext:
    db: Database
    settings: InvitationsSettings
    renderer: PageRenderer
    csrf: CsrfGuard


def page_context(request: Request) -> PageContext:
    context: PageContext = request.app.state.pages
    return context
