"""Who is asking and in which language: the console's cookie, the CSRF check, the admin's
API caller, and rendering a page or a fragment with what every page needs."""

from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from services.admin import i18n
from services.admin.adapters.api_client import ApiClient, SessionExpired
from services.admin.adapters.sealing import CookieSealer, new_nonce
from services.admin.domain.session import ConsoleSession, choose_locale
from services.admin.settings import AdminSettings
from services.admin.usecases.common import Caller
from services.admin.usecases.sign_in import fresh_session
from shared.http.authentication import authenticates_first

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Console:
    settings: AdminSettings
    api: ApiClient
    sealer: CookieSealer
    templates: Environment
    zone: ZoneInfo

    @property
    def cookie_name(self) -> str:
        # __Host-: this host only, path /, HTTPS only (when the cookie is Secure).
        return "__Host-lms-admin" if self.settings.cookie_secure else "lms-admin"


class LoginRequired(Exception):
    """No (or no longer a) logged-in admin: back to the login page."""


class CsrfRefused(Exception):
    pass


def console(request: Request) -> Console:
    value: Console = request.app.state.console
    return value


def browser_session(request: Request) -> ConsoleSession:
    """The session in the console's cookie, or a new one (a new CSRF nonce, the browser's
    language). Whatever the route changes is sealed back into the cookie on the way out."""
    existing = getattr(request.state, "console_session", None)
    if isinstance(existing, ConsoleSession):
        return existing
    app = console(request)
    session = app.sealer.open(request.cookies.get(app.cookie_name))
    if session is None:
        locale = choose_locale(
            None,
            request.headers.get("accept-language"),
            app.settings.default_locale,  # type: ignore[arg-type]
        )
        session = ConsoleSession(nonce=new_nonce(), locale=locale)
        request.state.session_changed = True
    request.state.console_session = session
    i18n.use_locale(session.locale)
    return session


def keep_session(request: Request, session: ConsoleSession) -> None:
    request.state.console_session = session
    request.state.session_changed = True
    i18n.use_locale(session.locale)


def seal_session(request: Request, response: Response) -> None:
    """Writes the session back when it changed (after login, a token renewal, a language)."""
    if not getattr(request.state, "session_changed", False):
        return
    app = console(request)
    session: ConsoleSession = request.state.console_session
    response.set_cookie(
        app.cookie_name,
        app.sealer.seal(session),
        max_age=app.sealer.max_age_seconds,
        path="/",
        secure=app.settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )


async def check_csrf(request: Request) -> None:
    """Every state-changing request carries the token of this browser's session, in the
    form or (htmx) in a header: a page of another site can neither read nor guess it."""
    if request.method not in UNSAFE_METHODS:
        return
    session = browser_session(request)
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not console(request).sealer.csrf_valid(session, submitted):
        raise CsrfRefused()


@authenticates_first
async def admin_caller(request: Request) -> Caller:
    """The logged-in admin's API caller, its access token renewed when about to expire.
    Run before the route's body is read (`authenticates_first`), and asks who is calling
    before the CSRF check reads the form: an anonymous caller is sent to the login page
    whatever it posted, as for a GET (no 413, 422 or CSRF refusal)."""
    session = browser_session(request)
    if not session.logged_in:
        raise LoginRequired()
    await check_csrf(request)
    app = console(request)
    try:
        fresh = await fresh_session(app.api, session, app.settings.directory_session_cookie)
    except SessionExpired:
        keep_session(request, session.logged_out(new_nonce()))
        raise LoginRequired() from None
    if fresh is not session:
        keep_session(request, fresh)
    assert fresh.access_token is not None
    return Caller(app.api, fresh.access_token)


AdminCaller = Annotated[Caller, Depends(admin_caller)]
CsrfChecked = Annotated[None, Depends(check_csrf)]


def is_htmx(request: Request) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def targets(request: Request, element_id: str) -> bool:
    return is_htmx(request) and request.headers.get("HX-Target") == element_id


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    app = console(request)
    session = browser_session(request)
    context = {
        "request": request,
        "session": session,
        "admin": session.admin if session.logged_in else None,
        "locale": session.locale,
        "csrf_token": app.sealer.csrf_token(session),
        "here": _here(request),
        **values,
    }
    html = app.templates.get_template(template).render(context)
    return HTMLResponse(html, status_code=status_code)


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_next(value: str | None, default: str = "/users") -> str:
    """A local path to go back to: never another site (//evil.example, https://…)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def go_to(request: Request, url: str) -> Response:
    """Redirect after a change: htmx follows HX-Redirect, a plain form a 303."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
