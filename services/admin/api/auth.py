"""Logging in and out, and choosing the language."""

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from services.admin.api.context import (
    CsrfChecked,
    browser_session,
    console,
    go_to,
    keep_session,
    render,
    safe_next,
)
from services.admin.domain.session import LOCALES
from services.admin.usecases.sign_in import (
    DirectoryCookies,
    Login,
    LoginRefused,
    NotAnAdmin,
    ResetThrottled,
    ask_for_password_reset,
    log_in,
    log_out,
)
from shared.http.authentication import ServiceRouter

router = ServiceRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request) -> Response:
    session = browser_session(request)
    return RedirectResponse("/users" if session.logged_in else "/login", status_code=303)


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=safe_next(next), error=None, tenant="", email="")


@router.post("/login")
async def login(
    request: Request,
    _: CsrfChecked,
    tenant: Annotated[str, Form(max_length=63)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form()] = "/users",
) -> Response:
    app = console(request)
    values = {"next": safe_next(next), "tenant": tenant, "email": email}
    if not (tenant.strip() and email.strip() and password):
        return render(request, "login.html", 422, error="missing", **values)
    attempt = Login(
        tenant.strip(),
        email.strip(),
        password,
        request.headers.get("user-agent", ""),
        client_address=request.client.host if request.client else None,
        known_device=request.cookies.get(KNOWN_DEVICE_COOKIE),
    )
    cookies = DirectoryCookies(
        app.settings.directory_session_cookie, app.settings.directory_device_cookie
    )
    try:
        signed_in = await log_in(app.api, attempt, cookies, browser_session(request))
    except LoginRefused as refused:
        error = "throttled" if refused.retry_after else "refused"
        return render(request, "login.html", 401, error=error, **values)
    except NotAnAdmin:
        return render(request, "login.html", 403, error="not-admin", **values)
    keep_session(request, signed_in.session)
    response = RedirectResponse(safe_next(next), status_code=303)
    if signed_in.new_known_device:
        _keep_known_device(response, signed_in.new_known_device, app.settings.cookie_secure)
    return response


# The directory's known-device cookie, kept by the browser for the console's login form
# only; it outlives the console's session (a logout keeps it: the device stays known).
KNOWN_DEVICE_COOKIE = "lms-admin-device"
KNOWN_DEVICE_DAYS = 180


def _keep_known_device(response: Response, value: str, secure: bool) -> None:
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        value,
        max_age=KNOWN_DEVICE_DAYS * 24 * 3600,
        path="/login",
        secure=secure,
        httponly=True,
        samesite="strict",
    )


@router.get("/forgot-password")
async def forgot_password_page(request: Request) -> Response:
    return render(request, "forgot_password.html", outcome=None, tenant="", email="")


@router.post("/forgot-password")
async def forgot_password(
    request: Request,
    _: CsrfChecked,
    tenant: Annotated[str, Form(max_length=63)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    values: dict[str, object] = {"tenant": tenant, "email": email}
    if not (tenant.strip() and email.strip()):
        return render(request, "forgot_password.html", 422, outcome="missing", **values)
    client = request.client.host if request.client else None
    try:
        await ask_for_password_reset(console(request).api, tenant.strip(), email.strip(), client)
    except ResetThrottled:
        return render(request, "forgot_password.html", 429, outcome="throttled", **values)
    return render(request, "forgot_password.html", 200, outcome="asked", **values)


@router.post("/logout")
async def logout(request: Request, _: CsrfChecked) -> Response:
    app = console(request)
    session = await log_out(
        app.api, browser_session(request), app.settings.directory_session_cookie
    )
    keep_session(request, session)
    return go_to(request, "/login")


@router.post("/language")
async def choose_language(
    request: Request,
    _: CsrfChecked,
    locale: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/users",
) -> Response:
    session = browser_session(request)
    if locale in LOCALES:
        keep_session(request, session.with_locale(locale))
    return RedirectResponse(safe_next(next), status_code=303)
