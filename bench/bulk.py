"""Issue 16: importing 100,000 users (preview, then apply) and deactivating 100,000 users
matching a filter, end to end over HTTP, next to a plain COPY of the same rows in the same run.

    uv run python bench/bulk.py [--users 100000] [--port 8131] [--import-only]
                                [--service-root ../other-checkout]

Creates its own database (dropped at the end) and RabbitMQ vhost, migrates it, creates an
admin, starts `python -m services.directory` on a local port, then:

  copy        PostgreSQL's own COPY of the file's rows into a table of the same columns
              (the baseline: what writing those rows costs without any rule or event)
  copy-users  the same rows COPYed into a table like `users`, with its indexes
  preview     POST /api/v1/imports with the CSV: parsed, every row judged, the preview kept
  apply       POST /api/v1/imports/{id}/apply (invitations requested through the outbox; the
              e-mails themselves are the invitations service's, not measured here), until the
              job says done
  deactivate  POST /api/v1/users/bulk {deactivate, filters: status=invited}: the preview,
              then the job over every match, until done
  events      until the last of the job's events left the outbox (the relay publishes them
              while the job runs, in the same process): seconds from the job's start
  update      the baseline of that: one plain UPDATE of the same users' status

Each line prints seconds and rows/s; the CPU the step cost the service's process and the
database's backends (on a loaded machine the wall time says how busy it was, these what
the step costs); memory is the service's peak RSS (VmHWM) after each step next to its
RSS once started, so a step that grows with the rows shows.
Targets: preview <= 10 s, apply <= 60 s, deactivate <= 30 s, memory flat.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import users_list as shared_bench  # the directory's bench helpers
from outbox_wait import outbox_drained

from services.directory.domain.addresses import address_skeleton

TENANT = shared_bench.TENANT


def make_csv(users: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Courriel", "Prénom", "Nom", "Téléphone", "Langue", "Groupes"])
    for n in range(users):
        group = f"Cohorte {n % 20}"
        writer.writerow(
            [f"bulk{n}@bench.example.com", f"Prénom{n}", f"Nom{n}", "5145550100", "fr", group]
        )
    return ("\ufeff" + out.getvalue()).encode()


def rss_of(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) // 1024
    return fields["VmRSS"], fields["VmHWM"]


def cpu_of(pid: int) -> float:
    """The process's CPU time so far (user + system), in seconds: on a busy machine what a
    step cost the service, whatever share of the cores it got."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def service_pid(port: int) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if b"services.directory" in cmdline and f"PORT={port}".encode() in environ:
                return int(entry.name)
    raise SystemExit("the service's process was not found")


_cpu_seen: dict[int, float] = {}
_database = ""  # the bench database's name: its backends' CPU is the database's share


def database_cpu() -> float:
    """CPU used by PostgreSQL's backends of the bench database since the last call (a
    backend started meanwhile counts whole): with the service's own, what a step cost
    whatever the machine's load."""
    spent = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
            if not title.startswith(b"postgres: ") or f" {_database} ".encode() not in title:
                continue
            pid, cpu = int(entry.name), cpu_of(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
        spent += cpu - _backends_seen.get(pid, 0.0)
        _backends_seen[pid] = cpu
    return spent


_backends_seen: dict[int, float] = {}


def line(name: str, seconds: float, rows: int, pid: int | None, copy_seconds: float | None) -> None:
    ratio = f"  {seconds / copy_seconds:6.1f}x copy" if copy_seconds else ""
    memory = ""
    if pid:
        rss, peak = rss_of(pid)
        cpu = cpu_of(pid)
        spent, _cpu_seen[pid] = cpu - _cpu_seen.get(pid, cpu), cpu
        db = database_cpu()
        memory = f"  cpu: service {spent:.2f} s ({1000 * spent / rows:.2f} ms/row)"
        memory += f", database {db:.2f} s ({1000 * db / rows:.2f} ms/row)"
        memory += f"  rss {rss} MB, peak {peak} MB"
    print(f"{name:<12}{seconds:8.2f} s {rows / seconds:10,.0f} rows/s{ratio}{memory}", flush=True)


async def wait_done(client: httpx.AsyncClient, url: str, key: str | None = None) -> Any:
    while True:
        body = (await client.get(url)).json()
        job = body[key] if key else body
        if job and job["state"] not in ("queued", "running"):
            return job
        await asyncio.sleep(1)  # each look is a request the service serves beside the job


async def copy_baseline(url: str, content: bytes) -> float:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "CREATE TEMP TABLE copied (email text, first_name text, last_name text,"
            " phone text, locale text, groups text)"
        )
        started = time.perf_counter()
        await connection.copy_to_table(
            "copied",
            source=io.BytesIO(content.removeprefix(b"\xef\xbb\xbf")),
            format="csv",
            delimiter=";",
            header=True,
        )
        return time.perf_counter() - started
    finally:
        await connection.close()


async def copy_users_baseline(url: str, content: bytes) -> float:
    """COPY of the same rows into a table like `users`, its indexes included (three text
    GINs among them): what the rows cost the database before any rule or event."""
    connection = await asyncpg.connect(url)
    try:
        tenant_id = await connection.fetchval("SELECT id FROM tenants LIMIT 1")
        await connection.execute("CREATE TEMP TABLE copied_users (LIKE users INCLUDING ALL)")
        rows = csv.reader(io.StringIO(content.decode().removeprefix("\ufeff")), delimiter=";")
        next(rows)
        records = [
            (
                tenant_id,
                uuid.uuid4(),
                e,
                e,
                address_skeleton(e),
                f,
                last,
                p,
                loc,
                "learner",
                "invited",
            )
            for e, f, last, p, loc, _ in rows
        ]
        columns = [
            "tenant_id",
            "id",
            "email",
            "email_normalized",
            "email_skeleton",
            "first_name",
            "last_name",
            "phone",
            "locale",
            "role",
            "status",
        ]
        started = time.perf_counter()
        await connection.copy_records_to_table("copied_users", records=records, columns=columns)
        return time.perf_counter() - started
    finally:
        await connection.close()


async def update_baseline(url: str) -> float:
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            started = time.perf_counter()
            await connection.execute(
                "UPDATE users SET status = 'invited' WHERE status = 'deactivated'"
            )
            return time.perf_counter() - started
    finally:
        await connection.close()


async def run(config: shared_bench.Config, users: int, import_only: bool = False) -> None:
    url = shared_bench.database_url(config, config.database)
    admin = await asyncpg.connect(config.postgres_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{config.database}"')
    await admin.execute(f'CREATE DATABASE "{config.database}"')
    try:
        env = {"DATABASE_URL": shared_bench.database_url(config, config.database, "asyncpg")}
        shared_bench.directory("migrate", env=env, root=config.service_root)
        shared_bench.directory(
            "create-admin",
            "--tenant",
            TENANT,
            "--email",
            shared_bench.ADMIN_EMAIL,
            "--password",
            shared_bench.ADMIN_PASSWORD,
            env=env,
            root=config.service_root,
        )
        content = make_csv(users)
        load = os.getloadavg()[0]
        print(f"{users:,} users, file {len(content) / 1e6:.1f} MB; machine load {load:.2f}")
        with shared_bench.own_vhost(config, f"bench-bulk-{uuid.uuid4().hex[:6]}") as amqp_url:
            async with shared_bench.running_service(config, amqp_url) as service:
                await measure(service.base_url, url, content, users, config.port, import_only)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{config.database}" WITH (FORCE)')
        await admin.close()


async def measure(
    base_url: str, url: str, content: bytes, users: int, port: int, import_only: bool
) -> None:
    pid = service_pid(port)
    rss, _ = rss_of(pid)
    _cpu_seen[pid] = cpu_of(pid)
    global _database
    _database = url.rsplit("/", 1)[-1].split("?")[0]
    print(f"service started: rss {rss} MB")
    copy_seconds = await copy_baseline(url, content)
    line("copy", copy_seconds, users, None, None)
    line("copy-users", await copy_users_baseline(url, content), users, None, copy_seconds)
    database_cpu()  # from here, the service's backends only
    async with shared_bench.logged_in_client(base_url) as client:
        client.timeout = httpx.Timeout(600)
        started = time.perf_counter()
        preview = await client.post(
            "/api/v1/imports",
            files={"file": ("bench.csv", content)},
            data={"create_groups": "true"},
        )
        preview.raise_for_status()
        line("preview", time.perf_counter() - started, users, pid, copy_seconds)
        import_id = preview.json()["id"]
        started = time.perf_counter()
        (
            await client.post(f"/api/v1/imports/{import_id}/apply", json={"send_invitations": True})
        ).raise_for_status()
        job = await wait_done(client, f"/api/v1/imports/{import_id}?limit=1", "job")
        line("apply", time.perf_counter() - started, users, pid, copy_seconds)
        if import_only:
            return
        print(f"            {job['state']}: {job['counts']}")
        body = {
            "action": "deactivate",
            "filters": {"status": ["invited"]},
            "params": {"reason": "bench"},
        }
        started = time.perf_counter()
        shown = (await client.post("/api/v1/users/bulk", json=body)).json()
        line("  preview", time.perf_counter() - started, shown["count"], pid, None)
        started = time.perf_counter()
        created = await client.post("/api/v1/users/bulk", json={**body, "confirm": True})
        created.raise_for_status()
        job = await wait_done(client, f"/api/v1/users/bulk/{created.json()['id']}")
        line("deactivate", time.perf_counter() - started, job["processed"], pid, copy_seconds)
        print(f"            {job['state']}: {job['counts']}")
        await outbox_drained(url)
        line("  events", time.perf_counter() - started, job["processed"], pid, None)
    line("update", await update_baseline(url), users, None, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=8131)
    parser.add_argument("--import-only", action="store_true", help="preview and apply alone")
    parser.add_argument(
        "--service-root",
        type=Path,
        default=shared_bench.ROOT,
        help="run the service from this checkout (e.g. main's, to compare)",
    )
    args = parser.parse_args()
    config = shared_bench.Config(
        users=args.users,
        rounds=0,
        warmup=0,
        reseed=True,
        database=f"lms_bench_bulk_{uuid.uuid4().hex[:6]}",
        port=args.port,
        postgres_url=os.environ.get(
            "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        amqp_url=os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        plans_dir=None,
        clients=0,
        throughput_seconds=0,
        sql=False,
        service_root=args.service_root.resolve(),
    )
    asyncio.run(run(config, args.users, args.import_only))


if __name__ == "__main__":
    main()
