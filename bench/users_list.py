"""P1: the directory's user list on a million users, end to end over HTTP.

    uv run python bench/users_list.py [--users 1000000] [--rounds 40] [--reseed]

Creates its own database (reused while its user count, migrations and seed code are
unchanged; migrations added since its seed are applied to it in place), seeds it with the
project's `seed` command, starts the directory service on a local port and measures
`GET /api/v1/users` for typical and adversarial filter mixes. In the same run, as
baselines: PostgreSQL's own timing of the same SQL (EXPLAIN ANALYZE), the cost of an exact
COUNT(*), and the same pages read with OFFSET. The machine is noisy: compare figures
within one run; cases are interleaved round by round for that reason.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx
from sqlalchemy import ClauseElement, Executable, Select, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from services.directory.api.cursors import user_cursor, user_position
from services.directory.api.schemas import UserListQuery
from services.directory.db.list_pages import LISTED_COLUMNS, Listing
from services.directory.db.models import User
from services.directory.db.user_filters import sort_column
from services.directory.db.user_search import find_page, listing_fields
from services.directory.domain.listing import Position
from services.directory.usecases.list_users import field_values_by_id
from shared.contracts.user_filters import UserSort

ROOT = Path(__file__).resolve().parents[1]
TENANT = "bench"
ADMIN_EMAIL = "admin@bench.example.com"
ADMIN_PASSWORD = "Throwaway-Bench-Pass-7"  # noqa: S105 - a throwaway local account
PAGE = 50
TARGET_P95_MS = 30.0
EXACT_TOTAL_UP_TO = 20_000  # DirectorySettings.list_exact_total_limit's default


def fingerprinted(root: Path) -> tuple[Path, ...]:
    """What the database must match: the migrations and seed code of the service run."""
    return (
        *sorted((root / "services/directory/migrations/versions").glob("*.py")),
        root / "services/directory/db/seed.py",
    )


Params = list[tuple[str, str]]


# --- the cases --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    params: Params  # the query string of GET /api/v1/users
    path: str = "/api/v1/users"


BASELINE_CASE = Case("GET /api/v1/auth/me (baseline)", [], "/api/v1/auth/me")


@dataclass(frozen=True)
class Fixtures:
    """What the cases refer to, read from the seeded database."""

    tenant_id: uuid.UUID
    groups: dict[str, uuid.UUID]
    now: datetime


SORT_NEWEST, SORT_EMAIL = ("sort", "-created_at"), ("sort", "email")


def build_cases(fx: Fixtures, deep: dict[str, str]) -> list[Case]:
    g1, g2 = str(fx.groups["Montréal"]), str(fx.groups["Ventes"])

    def day(days_ago: float) -> str:
        return (fx.now - timedelta(days=days_ago)).isoformat()

    sorts = [Case(f"no filter, sort={s.value}", [("sort", s.value)]) for s in UserSort]
    return [
        *sorts,
        Case("group", [("group", g1)]),
        Case("two groups", [("group", g1), ("group", g2)]),
        Case("status=active", [("status", "active")]),
        Case("status=deactivated", [("status", "deactivated")]),
        Case("role=admin (rare)", [("role", "admin")]),
        Case("invitation=expired", [("invitation", "expired")]),
        Case("invitation=sent, not expired (rare)", [("invitation", "sent")]),
        Case("invitation=failed (rare)", [("invitation", "failed")]),
        Case("invitation=none (no match)", [("invitation", "none")]),
        Case("email_status=bounced", [("email_status", "bounced")]),
        Case("email contains 'tremblay'", [("email", "tremblay")]),
        Case("email contains 'exemple.ca'", [("email", "exemple.ca")]),
        Case("email contains '4242' (rare)", [("email", "4242")]),
        Case("email contains 'zzz' (none)", [("email", "zzz")]),
        Case("q=tremblay", [("q", "tremblay")]),
        Case("q=gagnon, sort=created_at", [("q", "gagnon"), ("sort", "created_at")]),
        Case("q=marie", [("q", "marie")]),
        Case("q=123456 (rare)", [("q", "123456")]),
        Case("q=xyzzy (none)", [("q", "xyzzy")]),
        Case("q=ab (2 letters)", [("q", "ab")]),
        Case("q=zq (2 letters, none)", [("q", "zq")]),
        Case("q=lé (2 letters, accent)", [("q", "lé")]),
        Case("q=marie tremblay", [("q", "marie tremblay")]),
        Case("q=zoé gagnon 42 (rare)", [("q", "zoé gagnon 42")]),
        Case("field.department=TI", [("field.department", "TI")]),
        Case("field.employee_number (one)", [("field.employee_number", "E0123456")]),
        Case(
            "invited 2 weeks ago, never activated",
            [("status", "invited"), ("created_from", day(15)), ("created_to", day(14))],
        ),
        Case(
            "last login in the last 7 days",
            [("last_login_from", day(7)), ("sort", "-last_login_at")],
        ),
        Case("never logged in", [("never_logged_in", "true")]),
        Case(
            "never logged in, sort=-last_login_at",
            [("never_logged_in", "true"), ("sort", "-last_login_at")],
        ),
        Case(
            "status=invited, sort=-last_login_at",
            [("status", "invited"), ("sort", "-last_login_at")],
        ),
        Case("invited + logged in (none)", [("status", "invited"), ("never_logged_in", "false")]),
        Case(
            "group+status+email contains",
            [("group", g1), ("status", "active"), ("email", "tremblay")],
        ),
        Case("group+role=admin", [("group", g1), ("role", "admin")]),
        Case(
            "group+deactivated+q=zoé",
            [("group", g2), ("status", "deactivated"), ("q", "zoé")],
        ),
        Case(
            "expired+group, sort=-created_at",
            [("invitation", "expired"), ("group", g1), ("sort", "-created_at")],
        ),
        Case(
            "created in 2024 + TI, sort=email",
            [
                ("created_from", "2024-01-01T00:00:00+00:00"),
                ("created_to", "2025-01-01T00:00:00+00:00"),
                ("field.department", "TI"),
                ("sort", "email"),
            ],
        ),
        Case(
            "bounced+invited, sort=-last_login",
            [("email_status", "bounced"), ("status", "invited"), ("sort", "-last_login_at")],
        ),
        # Adversarial mixes: selective and broad conditions together, in orders whose
        # index the matches do not follow.
        Case(
            "two groups+active+q=marie, sort=-created_at",
            [("group", g1), ("group", g2), ("status", "active"), ("q", "marie"), SORT_NEWEST],
        ),
        Case(
            "admin+never logged in, sort=-last_login_at",
            [("role", "admin"), ("never_logged_in", "true"), ("sort", "-last_login_at")],
        ),
        Case(
            "q=tremblay+deactivated, sort=-created_at",
            [("q", "tremblay"), ("status", "deactivated"), ("sort", "-created_at")],
        ),
        Case(
            "TI+expired+group, sort=email",
            [("field.department", "TI"), ("invitation", "expired"), ("group", g2), SORT_EMAIL],
        ),
        Case(
            "bounced+group+logged in, sort=name",
            [("email_status", "bounced"), ("group", g1), ("never_logged_in", "false")],
        ),
        # ~15,000 text matches bunched together far along a text order.
        Case("q=tremblay, sort=email", [("q", "tremblay"), SORT_EMAIL]),
        Case("email contains 'tremblay', sort=-name", [("email", "tremblay"), ("sort", "-name")]),
        # Long lists whose intersection is empty or small, a two-letter term with others.
        Case("active+expired (none)", [("status", "active"), ("invitation", "expired")]),
        Case(
            "TI+never logged in+group, sort=-created_at",
            [("field.department", "TI"), ("never_logged_in", "true"), ("group", g1), SORT_NEWEST],
        ),
        Case(
            "q=tr+group+bounced, sort=email",
            [("q", "tr"), ("group", g2), ("email_status", "bounced"), SORT_EMAIL],
        ),
        Case(
            "RH+two groups+deactivated, sort=-last_login",
            [
                ("field.department", "RH"),
                ("group", g1),
                ("group", g2),
                ("status", "deactivated"),
                ("sort", "-last_login_at"),
            ],
        ),
        *(Case(name, [*params_of(cursor)]) for name, cursor in deep.items()),
    ]


def params_of(query: str) -> Params:
    return urllib.parse.parse_qsl(query)


# Lists and how deep into them (a fraction of all users) a client has paged.
DEEP_PAGES: tuple[tuple[Params, float], ...] = (
    ([("sort", "name")], 0.1),
    ([("sort", "name")], 0.5),
    ([("sort", "-created_at")], 0.5),
    ([("sort", "email"), ("status", "active")], 0.2),
)


# --- the same filter, as the service builds it --------------------------------------------


async def listing_of(session: AsyncSession, fx: Fixtures, params: Params) -> Listing:
    """The request as the service turns it into a Listing (the route's own query model)."""
    query = UserListQuery.from_query(params)
    fields = await listing_fields(session, fx.tenant_id)
    after = user_position(query.sort, query.cursor)
    values = field_values_by_id(query, fields)
    return Listing(fx.tenant_id, query, values, query.sort, after, PAGE)


# --- EXPLAIN ANALYZE through SQLAlchemy (so parameters are bound exactly as the service binds them)


class Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement


@compiles(Explain, "postgresql")
def _compile_explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    inner = compiler.process(element.statement, **kw)
    return f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {inner}"


@dataclass(frozen=True)
class Plan:
    ms: float  # planning + execution, as PostgreSQL reports it
    shape: str
    text: str


async def explain(session: AsyncSession, statement: Select[*tuple[Any, ...]]) -> Plan:
    raw = (await session.execute(Explain(statement))).scalar_one()
    return plan_of((json.loads(raw) if isinstance(raw, str) else raw)[0])


def plan_of(doc: dict[str, Any]) -> Plan:
    return Plan(
        ms=doc["Planning Time"] + doc["Execution Time"],
        shape=plan_shape(doc["Plan"]),
        text=json.dumps(doc, indent=1),
    )


NODE_NAMES = {
    "Index Scan": "idx",
    "Index Only Scan": "idxonly",
    "Bitmap Heap Scan": "bitmap",
    "Bitmap Index Scan": "",
    "BitmapAnd": "and",
    "BitmapOr": "or",
    "Seq Scan": "seq",
    "Sort": "sort",
    "Incremental Sort": "isort",
    "Nested Loop": "nl",
    "Hash Join": "hash",
    "Merge Join": "merge",
    "Gather Merge": "gather",
    "Gather": "gather",
}
SKIPPED_NODES = {"Limit", "Aggregate", "Hash", "Materialize", "Memoize", "Unique", "Result"}


def plan_shape(node: dict[str, Any]) -> str:
    """A plan in a few words, e.g. `sort(bitmap(and(email_trgm,status)))`."""
    children = [plan_shape(child) for child in node.get("Plans", [])]
    inner = ",".join(c for c in children if c)
    kind = node["Node Type"]
    index = node.get("Index Name", "").removeprefix("ix_users_").removeprefix("ix_")
    if kind in SKIPPED_NODES:
        return inner
    name = NODE_NAMES.get(kind, kind)
    label = f"{name}:{index}" if name and index else (name or index)
    return f"{label}({inner})" if inner else label


# --- database setup ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    users: int
    rounds: int
    warmup: int
    reseed: bool
    database: str
    port: int
    postgres_url: str
    amqp_url: str
    plans_dir: Path | None
    clients: int
    throughput_seconds: float
    sql: bool
    service_root: Path
    only: tuple[str, ...] = ()


def database_url(config: Config, name: str, driver: str = "") -> str:
    parts = urllib.parse.urlsplit(config.postgres_url)
    scheme = f"postgresql+{driver}" if driver else "postgresql"
    return urllib.parse.urlunsplit(parts._replace(scheme=scheme, path=f"/{name}"))


def fingerprint(users: int, root: Path) -> str:
    digest = hashlib.sha256(str(users).encode())
    for path in fingerprinted(root):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def file_digests(root: Path) -> dict[str, str]:
    """Each fingerprinted file's own digest, kept in the note: what changed since the seed."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        for path in fingerprinted(root)
    }


def only_new_migrations(recorded: dict[str, str], now: dict[str, str]) -> list[str]:
    """The migrations added since the seed, when nothing else changed (every recorded file
    as it was, the seed code included): those can be applied to the seeded database in
    place. Empty when anything else differs (or nothing does)."""
    if any(now.get(name) != digest for name, digest in recorded.items()):
        return []
    added = sorted(set(now) - set(recorded))
    return added if all("/migrations/versions/" in name for name in added) else []


@dataclass(frozen=True)
class Seeded:
    reused: bool
    seconds: float
    output: str


async def prepare_database(config: Config) -> Seeded:
    """Reuse the benchmark database if it holds the same seed (applying migrations added
    since, in place: far cheaper than seeding a million users again); else build it again."""
    root = config.service_root
    wanted, files = fingerprint(config.users, root), file_digests(root)
    admin = await asyncpg.connect(config.postgres_url)
    try:
        note = await benchmark_note(admin, config.database)
        if note and not config.reseed:
            added = only_new_migrations(note.get("files", {}), files)
            if note["fingerprint"] != wanted and added and note.get("users") == config.users:
                print(f"{config.database}: applying {', '.join(added)} in place ...", flush=True)
                url = {"DATABASE_URL": _service_url(config)}
                directory("migrate", env=url, root=config.service_root)
                note = {**note, "fingerprint": wanted}
            if note["fingerprint"] == wanted:
                note = {**note, "files": files, "users": config.users}
                await set_benchmark_note(admin, config.database, note)
                return Seeded(True, float(note["seed_seconds"]), note.get("seed_output", ""))
        if note is not None:
            await admin.execute(f'DROP DATABASE "{config.database}"')
        elif await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", config.database):
            raise SystemExit(
                f"Database {config.database} exists but was not made by this benchmark; "
                "pick another with --database."
            )
        await admin.execute(f'CREATE DATABASE "{config.database}"')
        await set_benchmark_note(admin, config.database, {"fingerprint": None})
        seeded = seed_database(config)
        note = {
            "fingerprint": wanted,
            "files": files,
            "users": config.users,
            "seed_seconds": seeded.seconds,
            "seed_output": seeded.output,
        }
        await set_benchmark_note(admin, config.database, note)
        return seeded
    finally:
        await admin.close()


def _service_url(config: Config) -> str:
    return database_url(config, config.database, "asyncpg")


async def benchmark_note(admin: asyncpg.Connection, name: str) -> dict[str, Any] | None:
    """The note this benchmark leaves on its database (as its comment), if any."""
    comment = await admin.fetchval(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name
    )
    with suppress(TypeError, ValueError):
        note = json.loads(comment)
        if isinstance(note, dict) and "fingerprint" in note:
            return note
    return None


async def set_benchmark_note(admin: asyncpg.Connection, name: str, note: dict[str, Any]) -> None:
    literal = json.dumps(note).replace("'", "''")
    await admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{literal}'")


def seed_database(config: Config) -> Seeded:
    env = {"DATABASE_URL": database_url(config, config.database, "asyncpg")}
    root = config.service_root
    print(f"migrating and seeding {config.users:,} users into {config.database} ...", flush=True)
    directory("migrate", env=env, root=root)
    started = time.perf_counter()
    output = directory("seed", "--tenant", TENANT, "--users", str(config.users), env=env, root=root)
    seconds = time.perf_counter() - started
    directory(
        "create-admin",
        "--tenant",
        TENANT,
        "--email",
        ADMIN_EMAIL,
        "--password",
        ADMIN_PASSWORD,
        env=env,
        root=root,
    )
    return Seeded(False, seconds, output.strip())


def directory(*args: str, env: dict[str, str], root: Path = ROOT) -> str:
    """Run `python -m services.directory ARGS` (of the checkout at `root`) the way an
    operator does."""
    completed = subprocess.run(
        [sys.executable, "-m", "services.directory", *args],
        cwd=root,
        env={**os.environ, "LOG_LEVEL": "WARNING", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"`directory {' '.join(args)}` failed:\n{completed.stderr}")
    return completed.stdout


# --- the service --------------------------------------------------------------------------------


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True)


@contextmanager
def own_vhost(config: Config, name: str) -> Iterator[str]:
    rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    try:
        parts = urllib.parse.urlsplit(config.amqp_url)
        yield urllib.parse.urlunsplit(parts._replace(path="/" + urllib.parse.quote(name, safe="")))
    finally:
        rabbitmqctl("delete_vhost", name)


@dataclass(frozen=True)
class Service:
    base_url: str
    pid: int

    def cpu_ns(self) -> int:
        """CPU time the service's main thread (the event loop) has used: the first field
        of /proc/PID/schedstat, in nanoseconds, whatever the machine's load."""
        return int(Path(f"/proc/{self.pid}/schedstat").read_text().split()[0])


@asynccontextmanager
async def running_service(config: Config, amqp_url: str) -> AsyncIterator[Service]:
    """`python -m services.directory` on a local port."""
    private_key, _ = directory("keygen", env={}).split("-----END PRIVATE KEY-----")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(config, config.database, "asyncpg"),
        "AMQP_URL": amqp_url,
        "PORT": str(config.port),
        "JWT_PRIVATE_KEY": private_key + "-----END PRIVATE KEY-----\n",
        "SESSION_COOKIE_SECURE": "false",
        "LOG_LEVEL": "WARNING",
    }
    log_path = Path(tempfile.gettempdir()) / f"bench-directory-{config.port}.log"
    print(f"service log: {log_path}")
    with log_path.open("w+b") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.directory",
            cwd=config.service_root,
            env=env,
            stdout=log,
            stderr=log,
        )
        base_url = f"http://127.0.0.1:{config.port}"
        try:
            await wait_until_ready(base_url, process, log)
            yield Service(base_url, process.pid)
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 15)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def wait_until_ready(
    base_url: str, process: asyncio.subprocess.Process, log: IO[bytes]
) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        for _ in range(1200):  # a loaded machine takes its time to import the service
            if process.returncode is not None:
                log.seek(0)
                raise SystemExit(f"the directory service exited:\n{log.read().decode()}")
            with suppress(httpx.TransportError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise SystemExit("the directory service did not become ready in 120 s")


@asynccontextmanager
async def logged_in_client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client holding the admin's session cookie, as the admin UI would."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        response = await client.post(
            "/api/v1/auth/login",
            json={"tenant": TENANT, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        )
        response.raise_for_status()
        yield client


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class HttpResult:
    times_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # the service's CPU per request
    total: int = 0
    total_is_exact: bool = True
    first_ids: list[str] = field(default_factory=list)
    error: str | None = None
    errors: int = 0


async def measure_http(
    client: httpx.AsyncClient, service: Service, cases: Sequence[Case], rounds: int, warmup: int
) -> dict[str, HttpResult]:
    """Round-robin over the cases, so that noise on the machine hits every case alike; each
    round also asks the service's trivial authenticated endpoint (the baseline)."""
    results = {case.name: HttpResult() for case in [BASELINE_CASE, *cases]}
    for round_number in range(warmup + rounds):
        print("." if round_number >= warmup else "w", end="", flush=True)
        for case in [BASELINE_CASE, *cases]:
            result = results[case.name]
            cpu_before = service.cpu_ns()
            started = time.perf_counter()
            response = await get_case(client, case)
            elapsed = (time.perf_counter() - started) * 1000
            cpu_ms = (service.cpu_ns() - cpu_before) / 1e6
            if response.status_code != 200:
                result.error = f"HTTP {response.status_code}"
                result.errors += 1
            elif round_number >= warmup:
                result.times_ms.append(elapsed)
                result.cpu_ms.append(cpu_ms)
                if case is BASELINE_CASE:
                    continue
                body = response.json()
                result.total, result.total_is_exact = body["total"], body["total_is_exact"]
                result.first_ids = [item["id"] for item in body["items"]]
    return results


async def get_case(client: httpx.AsyncClient, case: Case) -> httpx.Response:
    try:
        return await client.get(case.path, params=tuple(case.params))
    except httpx.TransportError:  # a kept-alive connection the server closed after a 500
        return await client.get(case.path, params=tuple(case.params))


# --- throughput: concurrent clients --------------------------------------------------------------

THROUGHPUT_CASES = ("no filter, sort=name", "group", "q=marie")


@dataclass
class Throughput:
    requests: int = 0
    seconds: float = 0.0
    times_ms: list[float] = field(default_factory=list)
    cpu_ms: float = 0.0  # the service's, over all its requests
    errors: int = 0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def measure_throughput(
    client: httpx.AsyncClient,
    service: Service,
    cases: Sequence[Case],
    clients: int,
    seconds: float,
    repeats: int = 2,
) -> dict[str, Throughput]:
    """`clients` requests in flight at all times, `seconds` per case, the cases (and the
    trivial endpoint) taken in turn `repeats` times, so that the machine's load hits all."""
    results = {case.name: Throughput() for case in [BASELINE_CASE, *cases]}
    for _ in range(repeats):
        for case in [BASELINE_CASE, *cases]:
            await run_clients(client, service, case, clients, seconds, results[case.name])
            print(".", end="", flush=True)
    return results


async def run_clients(
    client: httpx.AsyncClient,
    service: Service,
    case: Case,
    clients: int,
    seconds: float,
    result: Throughput,
) -> None:
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await get_case(client, case)
            result.times_ms.append((time.perf_counter() - started) * 1000)
            result.requests += 1
            result.errors += response.status_code != 200

    cpu_before, started = service.cpu_ns(), time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    result.seconds += time.perf_counter() - started
    result.cpu_ms += (service.cpu_ns() - cpu_before) / 1e6


def print_throughput(results: dict[str, Throughput], clients: int) -> None:
    base = results[BASELINE_CASE.name]
    print(f"\nThroughput, {clients} concurrent clients, same service and run:")
    print(f"{'case':<40} {'req/s':>7} {'×base':>6} {'p50':>6} {'p95':>6} │ svc CPU ms/req")
    for name, r in results.items():
        if not r.requests:
            continue
        ratio = r.per_second / base.per_second if base.per_second else 0.0
        errors = f"  ({r.errors} errors)" if r.errors else ""
        print(
            f"{name[:40]:<40} {r.per_second:7.0f} {ratio:6.2f} "
            f"{percentile(r.times_ms, 0.5):6.1f} {percentile(r.times_ms, 0.95):6.1f} │ "
            f"{r.cpu_ms / r.requests:6.2f}{errors}"
        )


@dataclass(frozen=True)
class SqlResult:
    how: str  # "collect" or "walk" (one per part, in last-login order), as the service chose
    db_ms: float  # the service's find_page, timed here: the list's whole database side
    pg_ms: float  # PostgreSQL's planning + execution of the page statements (EXPLAIN ANALYZE)
    plan: Plan  # the costliest of them
    true_count: int
    true_count_ms: float  # an exact COUNT(*) of every match: what an always-exact total costs


NOT_MEASURED = SqlResult("-", 0.0, 0.0, Plan(0.0, "", ""), 0, 0.0)  # run with --no-sql


def median_of(values: Sequence[float]) -> float:
    return statistics.median(values)


async def measure_sql(
    sessions: async_sessionmaker[AsyncSession], fx: Fixtures, case: Case, repeats: int
) -> SqlResult:
    async with sessions() as session:
        listing = await listing_of(session, fx, case.params)
        times: list[float] = []
        for _ in range(repeats):
            with recorded_statements(session) as statements:
                started = time.perf_counter()
                await find_page(session, listing, EXACT_TOTAL_UP_TO, datetime.now(UTC))
                times.append((time.perf_counter() - started) * 1000)
        pages = [(sql, args) for sql, args in statements if not sql.startswith(("EXPLAIN", "SET"))]
        plans = [await explain_recorded(session, sql, args) for sql, args in pages]
        conditions = listing.conditions(datetime.now(UTC))
        started = time.perf_counter()
        exact = select(func.count()).select_from(User).where(*conditions)
        true_count = (await session.execute(exact)).scalar_one()
        true_count_ms = (time.perf_counter() - started) * 1000
    return SqlResult(
        how="+".join(statement_kind(sql) for sql, _ in pages),
        db_ms=median_of(times),
        pg_ms=sum(plan.ms for plan in plans),
        plan=max(plans, key=ms_of),
        true_count=true_count,
        true_count_ms=true_count_ms,
    )


@contextmanager
def recorded_statements(session: AsyncSession) -> Iterator[list[tuple[str, Any]]]:
    """The SQL (and driver parameters) the session sends meanwhile."""
    statements: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def record(*args: Any) -> None:
        statements.append((args[2], args[3]))  # conn, cursor, statement, parameters, ...

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def explain_recorded(session: AsyncSession, sql: str, parameters: Any) -> Plan:
    connection = await session.connection()
    result = await connection.exec_driver_sql(
        f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", parameters
    )
    raw = result.scalar_one()
    return plan_of((json.loads(raw) if isinstance(raw, str) else raw)[0])


def statement_kind(sql: str) -> str:
    if "probe AS MATERIALIZED" in sql:
        return "probe"  # then the walk or the collect, in the same statement
    if "MATERIALIZED" in sql:
        return "collect"
    return "count" if sql.startswith("SELECT count(*)") else "walk"


def ms_of(plan: Plan) -> float:
    return plan.ms


@dataclass(frozen=True)
class OffsetResult:
    label: str
    offset_ms: list[float]
    offset_plan_ms: float
    same_rows_as_cursor: bool


async def measure_offset(
    sessions: async_sessionmaker[AsyncSession],
    fx: Fixtures,
    params: Params,
    offset: int,
    cursor_ids: list[str] | None,
    rounds: int,
) -> OffsetResult:
    async with sessions() as session:
        listing = await listing_of(session, fx, params)
        conditions = listing.conditions(datetime.now(UTC), for_walk=True)
        statement = offset_query(conditions, listing.sort, offset)
        times = []
        rows: list[Any] = []
        for _ in range(rounds):
            started = time.perf_counter()
            rows = list((await session.execute(statement)).all())
            times.append((time.perf_counter() - started) * 1000)
        plan = await explain(session, statement)
    same = cursor_ids is None or [str(u.id) for u in rows[:PAGE]] == cursor_ids
    label = " ".join(f"{k}={v}" for k, v in params)
    return OffsetResult(f"{label} OFFSET {offset:,}", times, plan.ms, same)


def offset_query(conditions: list[Any], sort: UserSort, offset: int, *columns: Any) -> Select[Any]:
    """The walk's page read with OFFSET instead of a cursor (the baseline)."""
    column = sort_column(sort)
    order = (column.desc(), User.id.desc()) if sort.descending else (column, User.id)
    query = select(*(columns or LISTED_COLUMNS)).where(*conditions).order_by(*order)
    return query.limit(PAGE + 1).offset(offset)


async def deep_cursors(
    sessions: async_sessionmaker[AsyncSession], fx: Fixtures, users: int
) -> dict[str, tuple[str, Params, int]]:
    """Cursors that point `depth` rows into a list, as if a client had paged there."""
    found: dict[str, tuple[str, Params, int]] = {}
    async with sessions() as session:
        for params, fraction in DEEP_PAGES:
            depth = round(fraction * users)
            listing = await listing_of(session, fx, params)
            conditions = listing.conditions(datetime.now(UTC), for_walk=True)
            column = sort_column(listing.sort)
            before = offset_query(conditions, listing.sort, depth - 1, column, User.id).limit(1)
            row = (await session.execute(before)).one()
            cursor = user_cursor(listing.sort, Position(row[0], row[1]))
            assert cursor is not None
            name = f"cursor at {depth:,}, " + " ".join(f"{k}={v}" for k, v in params)
            found[name] = (urllib.parse.urlencode([*params, ("cursor", cursor)]), params, depth)
    return found


# --- the report -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def print_cases(
    cases: Sequence[Case], http: dict[str, HttpResult], sql: dict[str, SqlResult]
) -> int:
    header = (
        f"{'case':<40} {'p50':>6} {'p95':>6} {'p99':>6} {'cpu':>5} │ {'total':>9} {'kind':<5} "
        f"{'true':>9} │ {'how':<12} {'db':>6} {'pg':>6} {'COUNT(*)':>8} │ P1  plan"
    )
    print(header)
    print("─" * len(header))
    base = http[BASELINE_CASE.name]
    if base.times_ms:
        print(
            f"{BASELINE_CASE.name[:40]:<40} {percentile(base.times_ms, 0.5):6.1f} "
            f"{percentile(base.times_ms, 0.95):6.1f} {percentile(base.times_ms, 0.99):6.1f} "
            f"{statistics.mean(base.cpu_ms):5.1f} │"
        )
    misses = 0
    for case in cases:
        h, s = http[case.name], sql.get(case.name, NOT_MEASURED)
        db = f"{s.how:<12} {s.db_ms:6.1f} {s.pg_ms:6.1f} {s.true_count_ms:8.1f} │ "
        if h.error or not h.times_ms:
            misses += 1
            failed = f"{h.error or 'no answer'} ×{h.errors}"
            print(f"{case.name[:40]:<40} {failed:>20} │ {'':>25} │ {db}NO  {s.plan.shape[:60]}")
            continue
        p95 = percentile(h.times_ms, 0.95)
        met = p95 <= TARGET_P95_MS
        misses += not met
        kind = "exact" if h.total_is_exact else "est."
        print(
            f"{case.name[:40]:<40} {percentile(h.times_ms, 0.5):6.1f} {p95:6.1f} "
            f"{percentile(h.times_ms, 0.99):6.1f} {statistics.mean(h.cpu_ms):5.1f} │ "
            f"{h.total:>9,} {kind:<5} {s.true_count:>9,} │ "
            f"{db}{'yes' if met else 'NO ':<3} {s.plan.shape[:60]}"
        )
    return misses


def print_offsets(
    results: Sequence[OffsetResult], http: dict[str, HttpResult], keyset: dict[str, str]
) -> None:
    title = "OFFSET baseline (SQL only)"
    print(f"\n{title:<52} {'p50':>6} {'p95':>6} │ {'pg':>6} │ keyset page over HTTP p50/p95")
    for result in results:
        cursor_case = keyset.get(result.label)
        cursor_figures = ""
        if cursor_case and http[cursor_case].times_ms:
            times = http[cursor_case].times_ms
            cursor_figures = f"{percentile(times, 0.5):6.1f} {percentile(times, 0.95):6.1f}"
            cursor_figures += "" if result.same_rows_as_cursor else "  (ROWS DIFFER!)"
        p50, p95 = percentile(result.offset_ms, 0.5), percentile(result.offset_ms, 0.95)
        print(
            f"{result.label[:52]:<52} {p50:6.1f} {p95:6.1f} │ {result.offset_plan_ms:6.1f} │ "
            f"{cursor_figures}"
        )


# --- main -----------------------------------------------------------------------------------------


async def fixtures(sessions: async_sessionmaker[AsyncSession]) -> Fixtures:
    async with sessions() as session:
        tenant_id = (
            await session.execute(text("SELECT id FROM tenants WHERE slug = :s"), {"s": TENANT})
        ).scalar_one()
        rows = await session.execute(
            text("SELECT name, id FROM groups WHERE tenant_id = :t"), {"t": tenant_id}
        )
        groups = {name: group_id for name, group_id in rows}
    return Fixtures(tenant_id, groups, datetime.now(UTC))


async def run(config: Config) -> int:
    seeded = await prepare_database(config)
    how = "reused; seeded earlier" if seeded.reused else "seeded now"
    print(f"database {config.database}: {config.users:,} users ({how} in {seeded.seconds:.1f} s)")
    if seeded.output:
        print(f"  {seeded.output}")
    engine = create_async_engine(database_url(config, config.database, "asyncpg"))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        fx = await fixtures(sessions)
        deep = await deep_cursors(sessions, fx, config.users)
        cases = build_cases(fx, {name: query for name, (query, _, _) in deep.items()})
        if config.only:
            cases = [case for case in cases if any(part in case.name for part in config.only)]
        with own_vhost(config, f"lms-bench-directory-{uuid.uuid4().hex[:6]}") as amqp_url:
            async with running_service(config, amqp_url) as service:
                http, throughput = await measure_over_http(service, cases, config)
        sql: dict[str, SqlResult] = {}
        offsets: list[OffsetResult] = []
        seen_lists: list[Params] = []
        keyset: dict[str, str] = {}
        if config.sql:
            print("measuring the same SQL in PostgreSQL ...", flush=True)
            sql = {case.name: await measure_sql(sessions, fx, case, 3) for case in cases}
        for name, (_, params, depth) in deep.items() if config.sql else ():
            if name not in http:  # left out by --only
                continue
            for offset in (0, depth) if params not in seen_lists else (depth,):
                ids = http[name].first_ids if offset == depth else None
                result = await measure_offset(
                    sessions, fx, params, offset, ids, config.rounds // 2 or 1
                )
                offsets.append(result)
                if offset == depth:
                    keyset[result.label] = name
            seen_lists.append(params)
        if config.plans_dir:
            write_plans(config.plans_dir, sql)
    finally:
        await engine.dispose()
    print()
    misses = print_cases(cases, http, sql)
    if offsets:
        print_offsets(offsets, http, keyset)
    if throughput:
        print_throughput(throughput, config.clients)
    print(
        f"\nP1: p95 ≤ {TARGET_P95_MS:.0f} ms end to end: "
        f"{len(cases) - misses}/{len(cases)} cases met."
        "\n  p50/p95/p99: HTTP, ms, one client, requests in sequence, cases interleaved."
        "\n  cpu: mean ms of CPU the service's event loop spent per request (not PostgreSQL's;"
        "\n  /proc/PID/schedstat), the same whatever the machine's load."
        "\n  total/kind: as answered (exact, or the planner's estimate); true: COUNT(*) of them."
        "\n  how: the page read by collecting the matches or by walking a sort index (last-login"
        "\n  order: each part, logged in or never, on its own; probe: a bounded walk tried first,"
        "\n  then the collect, in one statement); db: ms of the service's whole"
        "\n  database side (estimate, page, total) timed from Python; pg: PostgreSQL's planning +"
        "\n  execution of the page statements (EXPLAIN ANALYZE); COUNT(*): ms of an exact count"
        "\n  of every match, what an always-exact total would cost."
    )
    return 1 if misses else 0


async def measure_over_http(
    service: Service, cases: Sequence[Case], config: Config
) -> tuple[dict[str, HttpResult], dict[str, Throughput]]:
    async with logged_in_client(service.base_url) as client:
        print(f"measuring {len(cases)} cases × {config.rounds} rounds over HTTP ", end="")
        results = await measure_http(client, service, cases, config.rounds, config.warmup)
        print()
        typical = [case for case in cases if case.name in THROUGHPUT_CASES]
        throughput: dict[str, Throughput] = {}
        if config.throughput_seconds > 0:
            print(f"throughput: {config.clients} clients ", end="")
            throughput = await measure_throughput(
                client, service, typical, config.clients, config.throughput_seconds
            )
            print()
        return results, throughput


def write_plans(directory_path: Path, sql: dict[str, SqlResult]) -> None:
    directory_path.mkdir(parents=True, exist_ok=True)
    for name, result in sql.items():
        slug = "".join(c if c.isalnum() else "_" for c in name).strip("_")[:80]
        (directory_path / f"{slug}.json").write_text(result.plan.text)


def parse_args(argv: Sequence[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=40, help="measured requests per case")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured rounds first")
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database again")
    parser.add_argument("--database", default="lms_bench_directory")
    parser.add_argument("--port", type=int, default=18901)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--amqp-url", default=os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    parser.add_argument("--plans-dir", type=Path, help="write each case's EXPLAIN ANALYZE here")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (throughput)")
    parser.add_argument(
        "--throughput-seconds", type=float, default=5.0, help="per case and turn; 0: skip"
    )
    parser.add_argument(
        "--no-sql", action="store_true", help="HTTP only: no EXPLAIN, COUNT(*) or OFFSET part"
    )
    parser.add_argument(
        "--service-root",
        type=Path,
        default=ROOT,
        help="run the service from this checkout (e.g. an earlier commit, to compare)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="only the cases whose name contains TEXT (repeatable)",
    )
    args = parser.parse_args(argv)
    return Config(
        users=args.users,
        rounds=args.rounds,
        warmup=args.warmup,
        reseed=args.reseed,
        database=args.database,
        port=args.port,
        postgres_url=args.postgres_url,
        amqp_url=args.amqp_url,
        plans_dir=args.plans_dir,
        clients=args.clients,
        throughput_seconds=args.throughput_seconds,
        sql=not args.no_sql,
        service_root=args.service_root,
        only=tuple(args.only),
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(run(parse_args())))
