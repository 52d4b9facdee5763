"""Where a list request's time goes outside PostgreSQL: the directory app in this process
(no HTTP server, no network), the pages asked one after another under pyinstrument.

    uv run --with pyinstrument python bench/users_list_profile.py \
        --database lms_bench_dir_perflist_100k [--requests 300] [--case group] [--html out.html]

Runs on a database `bench/users_list.py` seeded (it logs in as that benchmark's admin).
Prints the service's CPU per request (this process's thread time, so the machine's load
inflates it little) for the list and for `GET /api/v1/auth/me` (the trivial authenticated
endpoint), then pyinstrument's tree of the list requests (`[await]` is time waiting on
PostgreSQL, not CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import time
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

import httpx
from users_list import ADMIN_EMAIL, ADMIN_PASSWORD, TENANT, directory

CASES = {
    "no filter": [("sort", "name")],
    "group": [("group", "__group__")],
    "q=marie": [("q", "marie")],
}


async def run(args: argparse.Namespace) -> None:
    # Not a dependency of the project: `uv run --with pyinstrument`.
    from pyinstrument import Profiler  # type: ignore[import-not-found, unused-ignore]

    private_key, _ = directory("keygen", env={}).split("-----END PRIVATE KEY-----")
    parts = urllib.parse.urlsplit(args.postgres_url)
    os.environ.update(
        DATABASE_URL=urllib.parse.urlunsplit(
            parts._replace(scheme="postgresql+asyncpg", path=f"/{args.database}")
        ),
        AMQP_URL=args.amqp_url,
        JWT_PRIVATE_KEY=private_key + "-----END PRIVATE KEY-----\n",
        SESSION_COOKIE_SECURE="false",
        LOG_LEVEL="WARNING",
    )
    from services.directory.app import create_app

    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
    ):
        login = {"tenant": TENANT, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        (await client.post("/api/v1/auth/login", json=login)).raise_for_status()
        params = await case_params(client, args.case)
        for _ in range(30):  # warm: plans, prepared statements, pools
            (await client.get("/api/v1/users", params=tuple(params))).raise_for_status()
            (await client.get("/api/v1/auth/me")).raise_for_status()
        me = await cpu_per_request(client, "/api/v1/auth/me", [], args.requests)
        listed = await cpu_per_request(client, "/api/v1/users", params, args.requests)
        print(f"case {args.case!r}, {args.requests} requests each, this process's CPU per request:")
        print(f"  GET /api/v1/auth/me  p50 {me[0]:.2f} ms  mean {me[1]:.2f} ms")
        print(f"  GET /api/v1/users    p50 {listed[0]:.2f} ms  mean {listed[1]:.2f} ms")
        if args.cpu_profile:  # cProfile on this thread's CPU clock: no waiting, no load
            cpu = cProfile.Profile(time.thread_time_ns, 1e-9)
            cpu.enable()
            for _ in range(args.requests):
                (await client.get("/api/v1/users", params=tuple(params))).raise_for_status()
            cpu.disable()
            stats = pstats.Stats(cpu)
            stats.sort_stats("cumulative").print_stats(60)
            return
        profiler = Profiler(interval=0.0002, async_mode="enabled")
        with profiler:
            for _ in range(args.requests):
                (await client.get("/api/v1/users", params=tuple(params))).raise_for_status()
    if args.html:
        args.html.write_text(profiler.output_html())
    print(profiler.output_text(unicode=True, color=False, show_all=False))


async def case_params(client: httpx.AsyncClient, case: str) -> list[tuple[str, str]]:
    params = CASES[case]
    if any(value == "__group__" for _, value in params):
        groups = (await client.get("/api/v1/groups")).json()
        group_id = next(g["id"] for g in groups if g["name"] == "Montréal")
        params = [(k, group_id if v == "__group__" else v) for k, v in params]
    return params


async def cpu_per_request(
    client: httpx.AsyncClient, path: str, params: Sequence[tuple[str, str]], n: int
) -> tuple[float, float]:
    """p50 and mean of this thread's CPU time per request, in ms."""
    spent = []
    for _ in range(n):
        before = time.thread_time_ns()
        (await client.get(path, params=tuple(params))).raise_for_status()
        spent.append((time.thread_time_ns() - before) / 1e6)
    return statistics.median(spent), statistics.fmean(spent)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="lms_bench_directory")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--case", choices=sorted(CASES), default="no filter")
    parser.add_argument(
        "--cpu-profile", action="store_true", help="cProfile by CPU time instead of pyinstrument"
    )
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML page here")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--amqp-url", default=os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
