"""Issue 9.7: does a login refusal take as long for a tenant that doesn't exist as for
one that does (and for an account that doesn't exist as for a wrong password)?

    uv run python bench/login_timing.py [--rounds 200]

Starts the directory on a local port (its own database, the RabbitMQ of TEST_AMQP_URL or
the local one), creates a tenant, then sends refused logins of four kinds, interleaved
round by round (the machine is noisy: compare figures within one run), each from its
own client address so that no throttle answers instead. Also the password-reset request
for an existing account and for an unknown tenant. Prints median and p90 per kind.
"""

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from services.directory.cli.keygen import new_key_pair
from tests.support.directory import (
    ADMIN_PASSWORD,
    directory_settings,
    migrate,
    new_tenant,
    start_directory,
)
from tests.support.infra import create_database, discover, drop_database


async def measure(rounds: int) -> None:
    with ExitStack() as stack:
        infra = discover(stack)
        name = f"lms_bench_login_{uuid.uuid4().hex[:8]}"
        url = await create_database(infra, name)
        try:
            await asyncio.to_thread(migrate, "directory", url)
            # One account refused many times: its allowance for unknown devices would
            # answer 429 before long; measured here is the refusal, not the throttle.
            settings = directory_settings(
                url, infra.amqp_url, new_key_pair()[0], login_account_free_failures=10**6
            )
            server = await start_directory(settings)
            try:
                tenant = await new_tenant(settings, server.url)
                await tenant.admin.aclose()
                await _run(server.url, tenant.slug, tenant.admin_email, rounds)
            finally:
                await server.stop()
        finally:
            await drop_database(infra, name)


async def _run(base_url: str, slug: str, admin_email: str, rounds: int) -> None:
    ghost_tenant = f"no-such-{uuid.uuid4().hex[:8]}"
    logins = {
        "wrong password, known tenant": (slug, admin_email, "not the password"),
        "unknown account, known tenant": (slug, "ghost@example.com", ADMIN_PASSWORD),
        "unknown tenant": (ghost_tenant, admin_email, ADMIN_PASSWORD),
    }
    resets = {
        "reset: active account": (slug, admin_email),
        "reset: unknown tenant": (ghost_tenant, admin_email),
    }
    timings: dict[str, list[float]] = {kind: [] for kind in [*logins, *resets]}
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        for n in range(rounds):
            for kind, (tenant, email, password) in logins.items():
                body = {"tenant": tenant, "email": email, "password": password}
                timings[kind].append(await _timed(client, "/api/v1/auth/login", body, n, kind))
            if n % 10 == 0:  # resets are throttled per account: fewer, each from its own address
                for kind, (tenant, email) in resets.items():
                    body = {"tenant": tenant, "email": f"{n}.{email}"}
                    path = "/api/v1/auth/password-reset"
                    timings[kind].append(await _timed(client, path, body, n, kind))
    for kind, values in timings.items():
        ordered = sorted(values)
        p90 = ordered[int(len(ordered) * 0.9)]
        median = statistics.median(values)
        print(f"{kind:<32} n={len(values):4d}  median {median:6.2f} ms  p90 {p90:6.2f} ms")


async def _timed(
    client: httpx.AsyncClient, path: str, body: dict[str, str], n: int, kind: str
) -> float:
    address = f"10.{hash(kind) % 250}.{n // 250}.{n % 250 + 1}"
    started = time.perf_counter()
    response = await client.post(path, json=body, headers={"X-Forwarded-For": address})
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code in (401, 202), (kind, response.status_code, response.text)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    asyncio.run(measure(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
