"""An unexpected error (issue 9.10): the 500 is answered inside the request middleware, so
it carries the request id (the caller's, or a new one) and the security headers like any
other answer, and a problem document that shows nothing of the error. A route that fails
is added to an app made as every service's is (`create_service_app`), over real HTTP."""

from collections.abc import AsyncIterator

import httpx
import pytest

from shared.http import create_service_app
from shared.http.authentication import ServiceRouter
from shared.http.middleware import SECURITY_HEADERS
from shared.runtime import DependencyReadiness, StatelessRuntime
from shared.settings import ProcessSettings
from tests.support.servers import RunningServer

SECRET = "password=hunter2 at db.internal:5432"


async def _ready() -> DependencyReadiness:
    return DependencyReadiness({}, ())


@pytest.fixture
async def failing_service() -> AsyncIterator[RunningServer]:
    router = ServiceRouter()

    @router.get("/fails")
    async def fails() -> None:
        raise RuntimeError(SECRET)

    runtime = StatelessRuntime("failing", ProcessSettings(), _ready)
    app = create_service_app(title="failing", runtime=runtime, routers=[router])
    server = await RunningServer(app).start()
    yield server
    await server.stop()


async def test_a_500_carries_the_request_id_and_security_headers(
    failing_service: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=failing_service.url) as client:
        chosen = await client.get("/fails", headers={"X-Request-ID": "trace-500"})
        given = await client.get("/fails")
    for response in (chosen, given):
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        for name, value in SECURITY_HEADERS:
            assert response.headers[name.decode()] == value.decode(), name
        assert SECRET not in response.text
        assert "RuntimeError" not in response.text
    assert chosen.headers["x-request-id"] == "trace-500"
    assert len(given.headers["x-request-id"]) == 32
