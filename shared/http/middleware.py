"""What every HTTP request goes through, outermost first: a correlation id, security
headers, a body-size limit, metrics, and the answer to an unexpected error (inside, so
that even a 500 carries the request id and the headers)."""

import re
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import internal_error, problem_response
from shared.logging import bind_correlation_id, clear_context, get_logger
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = get_logger(__name__)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
)


class BodyTooLarge(HTTPException):
    """An HTTPException, so that FastAPI, reading the body, passes it on (any other error
    there becomes "400 error parsing the body") and the problem handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, service: str, max_body_bytes: int) -> None:
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        clear_context()
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = bind_correlation_id(incoming if _SAFE_ID.match(incoming) else None)
        started, status = time.perf_counter(), 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started, status = True, message["status"]
                message["headers"] = _with_headers(message.get("headers", []), request_id)
            await send(message)

        try:
            limited = self._limited(receive, _declared_length(headers))
            await self.app(scope, limited, send_with_headers)
        except BodyTooLarge as too_large:
            if not response_started:
                await problem_response(413, "content-too-large", too_large.detail)(
                    scope, receive, send_with_headers
                )
        except Exception:
            log.exception("unhandled error", path=scope["path"], method=scope["method"])
            if not response_started:
                await internal_error()(scope, receive, send_with_headers)
        finally:
            self._measure(scope, status, time.perf_counter() - started)

    def _limited(self, receive: Receive, declared: int) -> Receive:
        """Refuses a body declared too large when the app first reads it (not before: a
        route authenticates its caller first, and an anonymous caller gets a 401), and
        counts the body as it is read: a chunked body can't slip past the limit."""
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared > self.max_body_bytes:
                raise BodyTooLarge(self.max_body_bytes)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        return limited

    def _measure(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"]
        HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
        HTTP_LATENCY.labels(self.service, method, route).observe(seconds)


def _declared_length(headers: dict[bytes, bytes]) -> int:
    value = headers.get(b"content-length", b"0")
    return int(value) if value.isdigit() and len(value) < 19 else 0


def _with_headers(headers: list[tuple[bytes, bytes]], request_id: str) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    return [
        *headers,
        (b"x-request-id", request_id.encode()),
        *(h for h in SECURITY_HEADERS if h[0] not in present),
    ]
