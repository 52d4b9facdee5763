"""GET shows the choose-password form; POST checks it and accepts the invitation."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from services.invitations.api.dependencies import PageContext, page_context
from services.invitations.api.forms import BadForm, read_form
from services.invitations.domain.links import LinkStatus
from services.invitations.domain.password_form import form_problems
from services.invitations.i18n import Language, choose_language, format_moment, translate_problem
from services.invitations.usecases.accept import (
    Allowance,
    OpenedLink,
    accept,
    open_link,
    throttle_wait,
)
from shared.security.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password_async,
)
from shared.security.sealing import seal
from shared.security.tokens import token_hash

router = APIRouter(tags=["invitation pages"])

Context = Annotated[PageContext, Depends(page_context)]
PATH = "/invite/{token:path}"


@router.get(PATH, response_class=HTMLResponse, summary="The choose-password page")
async def show(
    token: str, request: Request, context: Context, lang: str | None = None
) -> HTMLResponse:
    async with context.db.transaction() as session:
        link = await open_link(session, token, datetime.now(UTC))
    language = _language(request, link, lang)
    if link.status is not LinkStatus.USABLE:
        return _closed(context, link.status, language, token)
    return _form(context, request, link, language, token, problems=[], status=200)


@router.post(PATH, response_class=HTMLResponse, summary="Choose the password, accept")
async def submit(token: str, request: Request, context: Context) -> HTMLResponse:
    try:
        form = await read_form(request)
    except BadForm as error:
        language = choose_language(None, None, request.headers.get("accept-language"))
        return _message(context, "bad_form", language, token, error.status, reload=True)
    language = _language(request, None, form.get("lang"))
    cookie = request.cookies.get(context.csrf.cookie_name)
    if not context.csrf.is_valid(cookie, form.get("csrf", ""), token):
        return _message(context, "csrf", language, token, 403, reload=True)
    if wait := await _throttled(context, request, token):
        minutes = max(1, int(wait.total_seconds() + 59) // 60)
        retry = {"Retry-After": str(int(wait.total_seconds()) + 1)}
        return _message(context, "throttled", language, token, 429, headers=retry, minutes=minutes)
    return await _accept(context, request, token, form)


async def _accept(
    context: PageContext, request: Request, token: str, form: dict[str, str]
) -> HTMLResponse:
    async with context.db.transaction() as session:
        link = await open_link(session, token, datetime.now(UTC))
    language = _language(request, link, form.get("lang"))
    if link.status is not LinkStatus.USABLE or link.invitation is None:
        return _closed(context, link.status, language, token)
    password = form.get("password", "")
    problems = form_problems(
        password, form.get("password_confirmation", ""), email=link.invitation.email
    )
    if problems:
        translated = [translate_problem(p, language) for p in problems]
        return _form(context, request, link, language, token, problems=translated, status=422)
    sealed = seal(await hash_password_async(password), context.settings.sealing_public_key)
    async with context.db.transaction() as session:
        status = await accept(session, token, sealed, datetime.now(UTC))
    if status is not LinkStatus.USABLE:
        return _closed(context, status, language, token)
    login = context.settings.login_url
    button = (login, context.renderer.message_text(language, "login")) if login else None
    return _message(context, "done", language, token, 200, button=button)


async def _throttled(context: PageContext, request: Request, token: str) -> timedelta | None:
    settings = context.settings
    client = request.client.host if request.client else "unknown"
    allowances = [
        Allowance(f"link:{token_hash(token).hex()}", settings.accept_attempts_per_link),
        Allowance(f"client:{client}", settings.accept_attempts_per_client),
    ]
    window = timedelta(seconds=settings.accept_throttle_window_seconds)
    async with context.db.transaction() as session:
        return await throttle_wait(session, allowances, datetime.now(UTC), window)


def _language(request: Request, link: OpenedLink | None, asked: str | None) -> Language:
    user_locale = link.invitation.locale if link and link.invitation else None
    return choose_language(asked, user_locale, request.headers.get("accept-language"))


def _form(
    context: PageContext,
    request: Request,
    link: OpenedLink,
    language: Language,
    token: str,
    *,
    problems: list[str],
    status: int,
) -> HTMLResponse:
    assert link.invitation is not None
    assert link.expires_at is not None
    invitation, csrf = link.invitation, context.csrf
    nonce = csrf.nonce(request.cookies.get(csrf.cookie_name))
    response = context.renderer.page(
        "form.html",
        language=language,
        token=token,
        status=status,
        heading=context.renderer.message_text(language, "title"),
        first_name=invitation.first_name,
        tenant_name=invitation.tenant_name,
        email=invitation.email,
        problems=problems,
        action_url=context.renderer.link(token),
        csrf=csrf.form_token(nonce, token),
        expires=format_moment(link.expires_at, language, context.settings.display_timezone),
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
    )
    csrf.set_cookie(response, nonce)
    return response


def _closed(
    context: PageContext, status: LinkStatus, language: Language, token: str
) -> HTMLResponse:
    """Expired says so; used, revoked and unknown links get one and the same answer."""
    if status is LinkStatus.EXPIRED:
        return _message(context, "expired", language, token, 410)
    return _message(context, "invalid", language, token, 404)


def _message(
    context: PageContext,
    key: str,
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
        button = (renderer.link(token, language), renderer.message_text(language, "reload"))
    return renderer.message(
        key, language=language, token=token, status=status, button=button, headers=headers, **values
    )
