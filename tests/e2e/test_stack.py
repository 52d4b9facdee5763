"""The README's first command: `python -m stack` starts every service behind nginx."""

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from stack.services import available
from tests.support.infra import Infrastructure
from tests.support.stack import RunningStack, create_admin, running_stack


@pytest.fixture
async def stack(
    infra: Infrastructure, private_vhost: str, tmp_path: Path
) -> AsyncIterator[RunningStack]:
    async with running_stack(infra, private_vhost, tmp_path / "state") as started:
        yield started


async def test_the_stack_serves_every_service_behind_the_gateway(stack: RunningStack) -> None:
    created = await asyncio.to_thread(
        create_admin, stack, "stack-test", "admin@stack.example.com", "a long passphrase"
    )
    assert "admin admin@stack.example.com created in tenant stack-test" in created

    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        login = await client.post(
            "/api/v1/auth/login",
            json={
                "tenant": "stack-test",
                "email": "admin@stack.example.com",
                "password": "a long passphrase",
            },
        )
        assert login.status_code == 200, login.text
        invited = await client.post(
            "/api/v1/users/invitations",
            json={"email": "lea.roy@example.com", "first_name": "Léa", "last_name": "Roy"},
        )
        listed = await client.get("/api/v1/users", params={"q": "roy"})

    assert invited.status_code == 201
    assert [u["email"] for u in listed.json()["items"]] == ["lea.roy@example.com"]
    assert any(line.startswith(f"gateway        {stack.gateway} (nginx)") for line in stack.output)
    # directory → invitations → the stack's mail catcher: one line, and the message kept
    line = await stack.wait_for_line("mail to lea.roy@example.com: ", within=30)
    assert f" — {stack.gateway}/invite/" in line
    assert len(list((stack.state / "mail").glob("*.eml"))) == 1
    assert listed.headers["x-request-id"], "the gateway's request id follows the request"
    for spec in available(int(stack.env["STACK_PORT_OFFSET"])):
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{spec.port}/readyz")
        if spec.name == "admin":  # no database, no broker: the APIs it needs answer
            assert health.json() == {
                "status": "ready",
                "dependencies": {"directory": True},
                "required": ["directory"],
            }
            continue
        assert health.json() == {
            "status": "ready",
            "database": True,
            "migrations": "current",
            "broker": True,
        }, spec.name


async def test_the_stack_stops_every_process_on_sigterm(stack: RunningStack) -> None:
    stack.process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(stack.process.wait, 30) == 0
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{stack.gateway}/health")
