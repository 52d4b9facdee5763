"""The console's response headers: a strict Content-Security-Policy (scripts and styles
from this origin only, nothing inline, no eval), and its session cookie written back."""

from collections.abc import Awaitable, Callable

from fastapi import Request, Response

from services.admin.api.context import seal_session

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)


async def console_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = "public, max-age=3600"
    seal_session(request, response)
    return response
