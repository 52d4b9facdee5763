"""/healthz (the process answers), /readyz (it can do its work), /metrics (Prometheus).

The gateway does not route /metrics: it is for the scraper inside the network."""

from dataclasses import asdict

from fastapi import Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.http.authentication import ServiceRouter
from shared.runtime import AnyRuntime


def health_router(runtime: AnyRuntime) -> ServiceRouter:
    router = ServiceRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="The database answers and its migrations are current (the broker is reported)",
        responses={503: {"description": "Not ready; the body says what is wrong."}},
    )
    async def readyz() -> JSONResponse:
        readiness = await runtime.readiness()
        body = {"status": "ready" if readiness.ready else "not ready", **asdict(readiness)}
        return JSONResponse(body, status_code=200 if readiness.ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        await runtime.refresh_gauges()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
