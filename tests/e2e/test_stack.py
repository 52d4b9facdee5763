"""The README's first command: `python -m stack` starts every service behind nginx."""

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from stack.services import available
from tests.support.infra import Infrastructure, drop_database
from tests.support.servers import free_port

STARTUP_SECONDS = 120


@dataclass
class RunningStack:
    gateway: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    output: list[str]  # what the stack printed (its services' logs, the mail catcher's mails)

    def database_url(self, service: str) -> str:
        return f"{self.env['POSTGRES_URL']}/{self.env['STACK_DB_PREFIX']}{service}"


def _port_offset() -> int:
    while True:
        offset = random.randrange(20_000, 40_000, 10)
        ports = [spec.port for spec in available(offset)]
        if all(_free(port) for port in ports):
            return offset


def _free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _drain(process: subprocess.Popen[str], output: list[str]) -> None:
    """Keep reading what the stack prints, so a full pipe never blocks its processes."""
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)


async def _wait_for_line(
    output: list[str], process: subprocess.Popen[str], wanted: str, within: float
) -> None:
    async with asyncio.timeout(within):
        while not any(wanted in line for line in output):
            if process.poll() is not None:
                raise RuntimeError(f"the stack exited with {process.returncode}")
            await asyncio.sleep(0.1)


def _launch(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "stack"], env=env, stdout=subprocess.PIPE, text=True
    )


@pytest.fixture
async def stack(
    infra: Infrastructure, private_vhost: str, tmp_path: Path
) -> AsyncIterator[RunningStack]:
    server = urllib.parse.urlsplit(infra.postgres_url)._replace(path="").geturl()
    prefix = f"lms_test_{infra.run_id}_stack_"
    env = {
        **os.environ,
        "POSTGRES_URL": server,
        "AMQP_URL": private_vhost,
        "GATEWAY_PORT": str(free_port()),
        "SMTP_PORT": str(free_port()),
        "STACK_PORT_OFFSET": str(_port_offset()),
        "STACK_DB_PREFIX": prefix,
        "STACK_STATE_DIR": str(tmp_path / "state"),
    }
    process = _launch(env)
    output: list[str] = []
    threading.Thread(target=_drain, args=(process, output), daemon=True).start()
    try:
        await _wait_for_line(output, process, "ready:", STARTUP_SECONDS)
        yield RunningStack(f"http://127.0.0.1:{env['GATEWAY_PORT']}", env, process, output)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(process.wait, 30)
        for spec in available():
            await drop_database(infra, f"{prefix}{spec.name}")


async def test_the_stack_serves_every_service_behind_the_gateway(stack: RunningStack) -> None:
    env = {**stack.env, "DATABASE_URL": stack.database_url("directory")}
    created = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "services.directory",
            "create-admin",
            "--tenant",
            "stack-test",
            "--email",
            "admin@stack.example.com",
            "--password",
            "a long passphrase",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "admin admin@stack.example.com created in tenant stack-test" in created.stdout

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
    # directory → invitations → the stack's SMTP catcher, which prints what it receives
    await _wait_for_line(stack.output, stack.process, "<lea.roy@example.com>", within=30)
    assert listed.headers["x-request-id"], "the gateway's request id follows the request"
    for spec in available(int(stack.env["STACK_PORT_OFFSET"])):
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{spec.port}/readyz")
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
