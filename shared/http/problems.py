"""One error format for every API: RFC 9457 problem details (application/problem+json).

Use cases raise `shared.errors` domain errors; this is the one place that says which HTTP
status and problem type each kind means. FastAPI's validation errors and HTTP errors get
the same shape.
"""

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Route

from shared import errors
from shared.logging import correlation_id

PROBLEM_JSON = "application/problem+json"

# The most specific class wins: RuleViolation before Conflict.
PROBLEM_TYPES: tuple[tuple[type[errors.DomainError], int, str], ...] = (
    (errors.Malformed, 400, "bad-request"),
    (errors.Invalid, 422, "validation-failed"),
    (errors.Unauthenticated, 401, "unauthorized"),
    (errors.Forbidden, 403, "forbidden"),
    (errors.NotFound, 404, "not-found"),
    (errors.RuleViolation, 409, "rule-violation"),
    (errors.Conflict, 409, "conflict"),
    (errors.Gone, 410, "gone"),
    (errors.StaleVersion, 412, "precondition-failed"),
    (errors.TooLarge, 413, "content-too-large"),
    (errors.VersionRequired, 428, "precondition-required"),
    (errors.RateLimited, 429, "too-many-requests"),
    (errors.Unavailable, 503, "unavailable"),
)


def status_and_type(error: errors.DomainError) -> tuple[int, str]:
    for kind, status, code in PROBLEM_TYPES:
        if isinstance(error, kind):
            return status, code
    return 400, "bad-request"


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    errors: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:problem:lms:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = list(errors)
    if cid := correlation_id():
        body["correlation_id"] = cid
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def domain_problem(error: errors.DomainError) -> JSONResponse:
    status, code = status_and_type(error)
    headers = {}
    if isinstance(error, errors.RateLimited):
        headers["Retry-After"] = str(max(1, int(error.retry_after.total_seconds()) + 1))
    if isinstance(error, errors.Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return problem_response(status, code, error.detail, errors=error.errors, headers=headers)


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    return [
        {"field": _location(error.get("loc", ())), "message": str(error.get("msg", "invalid"))}
        for error in exc.errors()
    ]


async def _on_domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.DomainError)
    return domain_problem(exc)


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    found = validation_errors(exc)
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in found[:3])
    return problem_response(422, "validation-failed", f"Invalid request: {summary}", errors=found)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
    headers = exc.headers
    if exc.status_code == 405:
        # Starlette names the methods of the first route matching the path only.
        allowed = ", ".join(sorted(allowed_methods(request.app.routes, request.url.path)))
        headers = {**(headers or {}), "Allow": allowed}
    return problem_response(exc.status_code, code, str(exc.detail), headers=headers)


def allowed_methods(routes: Sequence[BaseRoute], path: str) -> set[str]:
    """Every method some route answers on `path` (included routers walked too)."""
    found: set[str] = set()
    for route in routes:
        if (branch := getattr(route, "original_router", None)) is not None:
            found |= allowed_methods(branch.routes, path)
        elif isinstance(route, Route) and route.path_regex.match(path):
            found |= set(route.methods or ())
    return found


def install_problem_handlers(app: FastAPI) -> None:
    """Unexpected errors are answered by `RequestContextMiddleware`, inside the middleware
    that adds the request id and the security headers."""
    app.add_exception_handler(errors.DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)


def internal_error() -> JSONResponse:
    return problem_response(500, "internal-error", "An unexpected error occurred.")
