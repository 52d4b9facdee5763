"""Both gateways (nginx with the generated config, and the built-in one) in front of echo
services: one small HTTP server per service of the route table, answering every path with
its own name and what it received. The services' code is not needed to check routing."""

import asyncio
import hashlib
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from stack.gateway import nginx_config
from stack.proxy import Gateway, server_config
from stack.services import SERVICES, ServiceSpec, routes
from tests.support.servers import free_port

STREAM_PATH = "/api/v1/exports/slow-stream"  # the echo sends "first", waits, sends "second"


@dataclass
class Coordination:
    """Lets a test hold an echo service mid-request, to see what arrived so far."""

    release_response: asyncio.Event = field(default_factory=asyncio.Event)
    first_body_chunk: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Echoes:
    services: list[ServiceSpec]  # every service of SERVICES (on free ports) and one not running
    coordination: Coordination
    down: ServiceSpec


class EchoApp:
    def __init__(self, name: str, coordination: Coordination) -> None:
        self.name = name
        self.coordination = coordination

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        digest, size = hashlib.sha256(), 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            digest.update(chunk)
            size += len(chunk)
            if chunk:
                self.coordination.first_body_chunk.set()
            if not message.get("more_body", False):
                break
        if scope["path"] == STREAM_PATH:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"first\n", "more_body": True})
            await self.coordination.release_response.wait()
            await send({"type": "http.response.body", "body": b"second\n"})
            return
        answer = json.dumps(
            {
                "service": self.name,
                "method": scope["method"],
                "raw_path": scope["raw_path"].decode(),
                "query": scope["query_string"].decode(),
                "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
                "body_sha256": digest.hexdigest(),
                "body_size": size,
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"set-cookie", b"a=1"),
            (b"set-cookie", b"b=2"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})


async def _serve(config: uvicorn.Config) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            return server, task
        if task.done():
            task.result()
        await asyncio.sleep(0.025)
    raise TimeoutError("the server did not start")


async def _stop(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    await task


@pytest.fixture(scope="module")
async def echoes() -> AsyncIterator[Echoes]:
    coordination = Coordination()
    services = [replace(s, port=free_port()) for s in SERVICES]
    running = [
        await _serve(
            uvicorn.Config(
                EchoApp(s.name, coordination),
                host="127.0.0.1",
                port=s.port,
                log_level="warning",
                access_log=False,
                lifespan="off",
            )
        )
        for s in services
    ]
    down = ServiceSpec("down", free_port(), ("/down",))  # nothing listens there
    yield Echoes([*services, down], coordination, down)
    for server, task in running:
        await _stop(server, task)


async def _wait_healthy(url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the gateway exited with {process.returncode}")
            try:
                if (await client.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise TimeoutError(f"{url} did not answer")


@dataclass(frozen=True)
class RunningGateway:
    kind: str  # "nginx" or "built-in"
    url: str
    port: int


def _start_nginx(nginx: str, prefix: Path, config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([nginx, "-p", str(prefix), "-c", str(config), "-g", "daemon off;"])


@asynccontextmanager
async def nginx_gateway(services: list[ServiceSpec], prefix: Path) -> AsyncIterator[RunningGateway]:
    nginx = shutil.which("nginx")
    assert nginx is not None, "these tests need nginx on PATH (.ci/run installs it)"
    port = free_port()
    config = prefix / "nginx.conf"
    config.write_text(nginx_config(services, port, prefix))
    process = _start_nginx(nginx, prefix, config)
    try:
        await _wait_healthy(f"http://127.0.0.1:{port}", process)
        yield RunningGateway("nginx", f"http://127.0.0.1:{port}", port)
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 10)


@asynccontextmanager
async def builtin_gateway(services: list[ServiceSpec]) -> AsyncIterator[RunningGateway]:
    port = free_port()
    server, task = await _serve(server_config(Gateway(routes(services)), port))
    try:
        yield RunningGateway("built-in", f"http://127.0.0.1:{port}", port)
    finally:
        await _stop(server, task)


@pytest.fixture(scope="module", params=["nginx", "built-in"])
async def gateway(
    request: pytest.FixtureRequest, echoes: Echoes, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningGateway]:
    """Each test using it runs once through nginx and once through the built-in gateway."""
    if request.param == "nginx":
        running = nginx_gateway(echoes.services, tmp_path_factory.mktemp("nginx"))
    else:
        running = builtin_gateway(echoes.services)
    async with running as started:
        yield started


@pytest.fixture(scope="module")
async def builtin(echoes: Echoes) -> AsyncIterator[RunningGateway]:
    async with builtin_gateway(echoes.services) as started:
        yield started
