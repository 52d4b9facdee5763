"""What the admin sees when something goes wrong: a page in their language, never a stack
trace nor a JSON problem (those stay for API clients)."""

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from services.admin.adapters.api_client import ApiProblem, ServiceUnavailable, SessionExpired
from services.admin.adapters.sealing import new_nonce
from services.admin.api.context import (
    CsrfRefused,
    LoginRequired,
    browser_session,
    go_to,
    keep_session,
    render,
)
from services.admin.domain.refusals import refusal_of


async def _login_required(request: Request, _: Exception) -> Response:
    target = request.url.path if request.method == "GET" else "/users"
    return go_to(request, f"/login?next={target}")


async def _session_expired(request: Request, _: Exception) -> Response:
    keep_session(request, browser_session(request).logged_out(new_nonce()))
    return await _login_required(request, _)


async def _csrf(request: Request, _: Exception) -> Response:
    return render(request, "error.html", 403, problem="csrf")


async def _unavailable(request: Request, _: Exception) -> Response:
    return render(request, "error.html", 503, problem="unavailable")


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    if exc.status == 404:
        return render(request, "error.html", 404, problem="not-found")
    if exc.status == 403:
        return render(request, "error.html", 403, problem="forbidden")
    refusal = refusal_of(exc.status, exc.detail, exc.errors, exc.retry_after)
    return render(request, "error.html", exc.status, problem="refused", refusal=refusal)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    problem = "not-found" if exc.status_code == 404 else "bad-request"
    return render(request, "error.html", exc.status_code, problem=problem)


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(SessionExpired, _session_expired)
    app.add_exception_handler(CsrfRefused, _csrf)
    app.add_exception_handler(ServiceUnavailable, _unavailable)
    app.add_exception_handler(ApiProblem, _refused)
    app.add_exception_handler(HTTPException, _http)
