"""The README's first command on a machine without nginx: the built-in gateway serves the
same routes, and the stack says so in one line."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from stack.gateway import BODY_LIMIT_BYTES
from stack.proxy import NOT_FOUND
from tests.support.infra import Infrastructure
from tests.support.stack import RunningStack, create_admin, python_only_path, running_stack


@pytest.fixture
async def stack(
    infra: Infrastructure, private_vhost: str, tmp_path: Path
) -> AsyncIterator[RunningStack]:
    path = python_only_path(tmp_path / "bin")
    async with running_stack(infra, private_vhost, tmp_path / "state", path=path) as started:
        yield started


async def test_without_nginx_the_builtin_gateway_serves_the_routes(stack: RunningStack) -> None:
    assert (
        "nginx not found on PATH: using the built-in gateway instead "
        "(for nginx: apt-get install nginx)\n"
    ) in stack.output
    assert f"gateway        {stack.gateway} (the built-in gateway)\n" in stack.output
    assert not any("Traceback" in line for line in stack.output)
    await asyncio.to_thread(
        create_admin, stack, "no-nginx", "admin@no-nginx.example.com", "a long passphrase"
    )

    async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as client:
        login = await client.post(
            "/api/v1/auth/login",
            json={
                "tenant": "no-nginx",
                "email": "admin@no-nginx.example.com",
                "password": "a long passphrase",
            },
        )
        listed = await client.get("/api/v1/users")
        too_big = await client.post(
            "/api/v1/auth/login",
            content=b" " * (BODY_LIMIT_BYTES + 1),
            headers={"content-type": "application/json"},
        )
        metrics = await client.get("/metrics")
        health = await client.get("/health")

    assert login.status_code == 200, login.text
    assert [u["email"] for u in listed.json()["items"]] == ["admin@no-nginx.example.com"]
    assert too_big.status_code == 413
    assert (metrics.status_code, metrics.content) == (404, NOT_FOUND)  # the gateway's own 404
    assert (health.status_code, health.text) == (200, "ok\n")
