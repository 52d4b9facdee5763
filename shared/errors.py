"""One error format for every API: RFC 9457 problem details (application/problem+json).

Code raises a `Problem` subclass; the handlers installed by `install_problem_handlers`
turn it, FastAPI's validation errors and anything unexpected into the same shape.
"""

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.logging import correlation_id, get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger(__name__)


class Problem(Exception):
    """An error the caller can act on. Subclasses fix the status and the problem type."""

    status: int = 400
    code: str = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})


class BadRequest(Problem):
    status, code = 400, "bad-request"


class ValidationFailed(Problem):
    status, code = 422, "validation-failed"


class Unauthorized(Problem):
    status, code = 401, "unauthorized"


class Forbidden(Problem):
    status, code = 403, "forbidden"


class NotFound(Problem):
    status, code = 404, "not-found"


class Conflict(Problem):
    status, code = 409, "conflict"


class PreconditionFailed(Problem):
    status, code = 412, "precondition-failed"


class PreconditionRequired(Problem):
    status, code = 428, "precondition-required"


class TooManyRequests(Problem):
    status, code = 429, "too-many-requests"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after_seconds))})


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


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    return [
        {"field": _location(error.get("loc", ())), "message": str(error.get("msg", "invalid"))}
        for error in exc.errors()
    ]


async def _on_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(
        exc.status, exc.code, exc.detail, errors=exc.errors, headers=exc.headers
    )


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:3])
    return problem_response(422, "validation-failed", f"Invalid request: {summary}", errors=errors)


async def _on_http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
    return problem_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", path=request.url.path, method=request.method)
    return problem_response(500, "internal-error", "An unexpected error occurred.")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
