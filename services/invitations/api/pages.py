"""GET shows the choose-password form; POST checks it and accepts the invitation. Each
calls one use case and answers with a page in the reader's language (never a problem
document: a person reads these)."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from services.invitations.api.dependencies import PageContext, page_context
from services.invitations.api.forms import BadForm, read_form
from services.invitations.api.rendering import HEADING, LOG_IN, RELOAD, RESET_HEADING, Notice
from services.invitations.domain.languages import Language, choose_language
from services.invitations.domain.links import LinkedInvitation, LinkExpired
from services.invitations.usecases.choose_password import (
    PasswordChoice,
    PasswordRejected,
    choose_password,
)
from services.invitations.usecases.open_invitation import open_invitation
from shared.errors import DomainError, NotFound, RateLimited
from shared.http.authentication import ServiceRouter
from shared.http.dependencies import UoW, runtime
from shared.security.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

router = ServiceRouter(tags=["invitation pages"])

Context = Annotated[PageContext, Depends(page_context)]
PATH = "/invite/{token:path}"


PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "The link is unknown, used or revoked (one and the same page)."},
    410: {"description": "The link has expired."},
    429: {"description": "Too many tries; see Retry-After."},
}
FORM_ERRORS: dict[int | str, dict[str, Any]] = {
    **PAGE_ERRORS,
    400: {"description": "The form could not be read."},
    403: {"description": "The form's CSRF value is missing or wrong: reload the page."},
    413: {"description": "The form is too large."},
    415: {"description": "Not an HTML form (application/x-www-form-urlencoded)."},
    422: {"description": "The password was refused; the page says why."},
}
FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["csrf", "password", "password_confirmation"],
                    "properties": {
                        "csrf": {"type": "string", "description": "From the page's form."},
                        "password": {"type": "string", "maxLength": MAX_PASSWORD_LENGTH},
                        "password_confirmation": {"type": "string"},
                        "lang": {"type": "string", "enum": ["fr", "en"]},
                    },
                }
            }
        },
    }
}


@router.get(
    PATH,
    response_class=HTMLResponse,
    summary="The choose-password page",
    responses=PAGE_ERRORS,
)
async def show(
    token: str, request: Request, uow: UoW, context: Context, lang: str | None = None
) -> HTMLResponse:
    try:
        invitation = await open_invitation(uow, token, datetime.now(UTC))
    except DomainError as error:
        return _refused(context, request, error, lang, token)
    language = _language(request, lang, invitation.locale)
    return _form(context, request, invitation, language, token, problems=[], status=200)


@router.post(
    PATH,
    response_class=HTMLResponse,
    summary="Choose the password, accept",
    responses=FORM_ERRORS,
    openapi_extra=FORM_BODY,
)
async def submit(token: str, request: Request, context: Context) -> HTMLResponse:
    try:
        form = await read_form(request)
    except BadForm as error:
        language = _language(request, None)
        return _notice(context, Notice.BAD_FORM, language, token, error.status, reload=True)
    asked = form.get("lang")
    cookie = request.cookies.get(context.csrf.cookie_name)
    if not context.csrf.is_valid(cookie, form.get("csrf", ""), token):
        return _notice(context, Notice.CSRF, _language(request, asked), token, 403, reload=True)
    choice = PasswordChoice(
        token=token,
        client=request.client.host if request.client else "unknown",
        password=form.get("password", ""),
        confirmation=form.get("password_confirmation", ""),
    )
    try:
        invitation = await choose_password(
            runtime(request).unit_of_work, choice, context.rules, datetime.now(UTC)
        )
    except PasswordRejected as rejected:
        language = _language(request, asked, rejected.invitation.locale)
        problems = [context.renderer.problem(language, p) for p in rejected.problems]
        invitation = rejected.invitation
        return _form(context, request, invitation, language, token, problems=problems, status=422)
    except DomainError as error:
        return _refused(context, request, error, asked, token)
    language = _language(request, asked, invitation.locale)
    button = None
    if context.login_url:
        button = (context.login_url, context.renderer.text(language, LOG_IN))
    done = Notice.PASSWORD_CHANGED if invitation.is_password_reset else Notice.DONE
    return _notice(context, done, language, token, 200, button=button)


def _refused(
    context: PageContext, request: Request, error: DomainError, asked: str | None, token: str
) -> HTMLResponse:
    """Expired says so; used, revoked and unknown links get one and the same answer."""
    if isinstance(error, LinkExpired):
        language = _language(request, asked, error.locale)
        expired = Notice.RESET_EXPIRED if error.is_password_reset else Notice.EXPIRED
        return _notice(context, expired, language, token, 410)
    language = _language(request, asked)
    if isinstance(error, NotFound):
        return _notice(context, Notice.INVALID, language, token, 404)
    if isinstance(error, RateLimited):
        seconds = error.retry_after.total_seconds()
        minutes = max(1, int(seconds + 59) // 60)
        retry = {"Retry-After": str(int(seconds) + 1)}
        return _notice(
            context, Notice.THROTTLED, language, token, 429, headers=retry, minutes=minutes
        )
    raise error


def _language(request: Request, asked: str | None, user_locale: str | None = None) -> Language:
    return choose_language(asked, user_locale, request.headers.get("accept-language"))


def _form(
    context: PageContext,
    request: Request,
    invitation: LinkedInvitation,
    language: Language,
    token: str,
    *,
    problems: list[str],
    status: int,
) -> HTMLResponse:
    assert invitation.expires_at is not None
    renderer, csrf = context.renderer, context.csrf
    nonce = csrf.nonce(request.cookies.get(csrf.cookie_name))
    response = renderer.page(
        "form.html",
        language=language,
        token=token,
        status=status,
        heading=renderer.text(language, RESET_HEADING if invitation.is_password_reset else HEADING),
        is_password_reset=invitation.is_password_reset,
        first_name=invitation.first_name,
        tenant_name=invitation.tenant_name,
        email=invitation.email,
        problems=problems,
        action_url=renderer.link(token),
        csrf=csrf.form_token(nonce, token),
        expires=renderer.format_moment(language, invitation.expires_at),
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
    )
    csrf.set_cookie(response, nonce)
    return response


def _notice(
    context: PageContext,
    notice: Notice,
    language: Language,
    token: str,
    status: int,
    *,
    reload: bool = False,
    button: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
    **values: object,
) -> HTMLResponse:
    renderer = context.renderer
    if reload:
        button = (renderer.link(token, language), renderer.text(language, RELOAD))
    return renderer.notice(
        notice,
        language=language,
        token=token,
        status=status,
        button=button,
        headers=headers,
        **values,
    )
