"""Serving an app on a real port inside the test's event loop (real HTTP, real lifespan)."""

import asyncio
import socket

import uvicorn
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from shared.cli import http_server_options
from shared.settings import ProcessSettings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RunningServer:
    def __init__(
        self, app: FastAPI, port: int | None = None, settings: ProcessSettings | None = None
    ) -> None:
        """With `settings`, the app is served as `serve` serves it (the proxy headers
        believed only from FORWARDED_ALLOW_IPS); without, from 127.0.0.1, the tests' own
        stand-in for the gateway."""
        self.app = app
        self.port = port or free_port()
        options: dict[str, object] = {"log_config": None, "access_log": False}
        if settings is not None:
            options = http_server_options(settings)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, lifespan="on", **options)  # type: ignore[arg-type]
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> "RunningServer":
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(300):
            if self._server.started:
                return self
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.05)
        raise TimeoutError("the server did not start")

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every API route, including those of included routers."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[BaseRoute]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.extend((method, route.path) for method in sorted(route.methods or ()))
            elif (included := getattr(route, "original_router", None)) is not None:
                walk(included.routes)  # FastAPI keeps included routers as branches

    walk(app.routes)
    return found
