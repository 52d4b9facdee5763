"""Serving an app on a real port inside the test's event loop (real HTTP, real lifespan)."""

import asyncio
import socket

import uvicorn
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RunningServer:
    def __init__(self, app: FastAPI, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            lifespan="on",
            access_log=False,
        )
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
