"""Zapier's "Invite User": the webhooks service asking the directory over the bus
(request/reply), next to the admin's own invitation, in the same run.

    uv run python bench/integration_invite.py [--rounds 200] [--concurrent 20] [--each 10]

Starts the directory and the webhooks service as their own processes, each run in its own
databases and RabbitMQ virtual host (the helpers of bench/invitations.py). Measures:

1. latency, one request at a time: `POST /api/v1/users/invitations` on the directory (the
   admin's session) and `POST /api/v1/integrations/invitations` on the webhooks service
   (an API key; the directory answers the InviteUser command), p50/p95/max;
2. throughput with `--concurrent` clients of `--each` invitations at once, both ways
   (the integration path's commands are in flight together: `CommandClient`).
"""
# ruff: noqa: E402 - the project root goes on sys.path before the project's imports

import argparse
import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import httpx
from invitations import Bench, _load, _run, _service, _summary

from tests.support.servers import free_port

Invite = Callable[[str], Awaitable[httpx.Response]]
BODY = {"first_name": "Léa", "last_name": "Fortin"}


def address() -> str:
    return f"bench-{uuid.uuid4().hex[:12]}@example.com"


async def latency(name: str, invite: Invite, rounds: int) -> None:
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = await invite(address())
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 201, response.text
    print(_summary(name, seconds), f"load {_load()}")


async def throughput(name: str, invite: Invite, clients: int, each: int) -> None:
    async def client() -> None:
        for _ in range(each):
            response = await invite(address())
            assert response.status_code == 201, response.text

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    count = clients * each
    print(
        f"{name:<44} {count} in {elapsed:5.2f} s = {count / elapsed:6.1f}/s"
        f"   ({clients} at once)   load {_load()}"
    )


async def main(arguments: argparse.Namespace) -> None:
    bench = Bench(uuid.uuid4().hex[:8])
    bench.setup()
    _run("services.webhooks", "migrate", env=bench.env("webhooks", 0))
    try:
        async with _service("directory", bench.directory_env(), bench.logs / "dir.log") as dir_url:
            webhooks_env = bench.env("webhooks", free_port(), JWT_PUBLIC_KEY=bench.public_key)
            async with _service("webhooks", webhooks_env, bench.logs / "wh.log") as wh_url:
                await run(bench, dir_url, wh_url, arguments)
    finally:
        bench.teardown()
        _drop_webhooks_database(bench)


async def run(bench: Bench, directory_url: str, webhooks_url: str, a: argparse.Namespace) -> None:
    tenant = await bench.tenant(directory_url)
    token = (await tenant.admin.post("/api/v1/auth/token")).json()["access_token"]
    async with httpx.AsyncClient(
        base_url=webhooks_url, headers={"Authorization": f"Bearer {token}"}
    ) as admin:
        key = (await admin.post("/api/v1/api-keys", json={"name": "bench"})).json()["key"]
    limits = httpx.Limits(max_connections=a.concurrent)
    async with httpx.AsyncClient(
        base_url=webhooks_url, headers={"X-API-Key": key}, timeout=60, limits=limits
    ) as integration:

        async def direct(email: str) -> httpx.Response:
            return await tenant.admin.post(
                "/api/v1/users/invitations", json={"email": email, **BODY}
            )

        async def via_bus(email: str) -> httpx.Response:
            return await integration.post(
                "/api/v1/integrations/invitations", json={"email": email, **BODY}
            )

        for _ in range(20):  # warm-up, both ways
            await direct(address())
            await via_bus(address())
        await latency("admin: POST /api/v1/users/invitations", direct, a.rounds)
        await latency("API key: POST /api/v1/integrations/invitations", via_bus, a.rounds)
        await throughput("admin: POST /api/v1/users/invitations", direct, a.concurrent, a.each)
        await throughput("API key: POST /integrations/invitations", via_bus, a.concurrent, a.each)
    await tenant.admin.aclose()


def _drop_webhooks_database(bench: Bench) -> None:
    name = f"lms_bench_{bench.infra.run_id}_webhooks"
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f'DROP DATABASE "{name}"'],
        capture_output=True,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=20)
    parser.add_argument("--each", type=int, default=10)
    asyncio.run(main(parser.parse_args()))
