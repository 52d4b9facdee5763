"""The FastAPI app of a service: its runtime in the lifespan, the shared middleware, the
problem responses, the operations routes, then the service's own routers."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from shared.http.authentication import AuthenticatedRoute
from shared.http.health import health_router
from shared.http.middleware import RequestContextMiddleware
from shared.http.openapi import problem_openapi
from shared.http.problems import install_problem_handlers
from shared.runtime import AnyRuntime


def create_service_app(*, title: str, runtime: AnyRuntime, routers: Sequence[APIRouter]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, lifespan=lifespan)
    app.state.runtime = runtime
    install_problem_handlers(app)
    app.add_middleware(
        RequestContextMiddleware,
        service=runtime.name,
        max_body_bytes=runtime.settings.max_body_bytes,
    )
    app.include_router(health_router(runtime))
    for router in routers:
        app.include_router(router)
    unguarded = [
        r.path
        for r in app.routes
        if isinstance(r, APIRoute) and not isinstance(r, AuthenticatedRoute)
    ]
    if unguarded:
        raise TypeError(f"{title}: routes not on a ServiceRouter, body read first: {unguarded}")
    app.openapi = problem_openapi(app)  # type: ignore[method-assign]
    return app
