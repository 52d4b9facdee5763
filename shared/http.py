"""The HTTP side every service shares: app factory, correlation ids, security headers, health."""

import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import install_problem_handlers
from shared.logging import bind_correlation_id, clear_context
from shared.runtime import ServiceRuntime

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


class RequestContextMiddleware:
    """Binds a correlation id (the caller's X-Request-ID if sane, else a new one) for the
    request's logs and events, echoes it back, and adds the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        clear_context()
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = bind_correlation_id(incoming if _SAFE_ID.match(incoming) else None)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(h for h in _SECURITY_HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_service_app(
    *,
    title: str,
    runtime: ServiceRuntime,
    routers: Sequence[APIRouter],
    extra_lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            if extra_lifespan is None:
                yield
            else:
                async with extra_lifespan(app):
                    yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, lifespan=lifespan)
    app.state.runtime = runtime
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health_router(runtime))
    for router in routers:
        app.include_router(router)
    return app


def health_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health/live", summary="The process is up")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/health/ready", summary="The database and the broker answer")
    async def ready() -> JSONResponse:
        checks = await runtime.is_ready()
        status = 200 if all(checks.values()) else 503
        return JSONResponse({"status": "ok" if status == 200 else "unavailable", **checks}, status)

    return router
