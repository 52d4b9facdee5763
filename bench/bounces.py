"""P4: provider webhooks into the bounces service.

    uv run python bench/bounces.py [--batches 100] [--batch-size 100] [--singles 3000]
                                   [--rate 500] [--single-provider sendgrid|generic]
                                   [--processes 1] [--probe] [--service-env KEY=VALUE]

Starts the bounces service as its own process, the way it runs (`python -m services.bounces`:
uvicorn with uvloop and httptools), with its own database and RabbitMQ virtual host, and,
as the baseline of the same run, a trivial FastAPI endpoint that only reads the body
(same uvicorn, uvloop and httptools, its own process). The load comes from this process,
with signed requests built beforehand and sent over keep-alive connections by a minimal
HTTP/1.1 client (asyncio streams: its cost per request is a small fraction of httpx's, so
it takes less of the two cores from what is measured).

1. batches: SendGrid arrays of `--batch-size` signed events, 4 connections, as fast as
   the service answers: events/s (its latency is 4 batches deep by construction); then
   the same number of batches paced at the target, 2,000 events/s: the p99 to hold;
2. single events: one event per request at `--rate` requests/s (latency counted from the
   moment each request was due, so a slow answer also delays the ones behind it), then as
   fast as possible with 16 connections;
3. nothing lost: every event matches a message in the index (seeded directly), so every
   event must end up in the outbox (published) and on the bus (a queue bound to email.#
   counts them).

Each mode prints p50 / p95 / p99 of the service and of the baseline, their difference and
the machine's load; the next mode starts once the relay has published this one's events.
`--probe` serves the same app through `bench/bounces_probe.py` and prints where the time
of each mode's requests went (phases, event-loop lag, relay passes, garbage collections,
new database connections). `--service-env KEY=VALUE` sets one of the service's settings.
"""
# ruff: noqa: E402 - the project root goes on sys.path before the project's imports

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # its probe, also when uvicorn imports it

import aio_pika
import asyncpg
import httpx
from bounces_probe import summarize
from fastapi import FastAPI, Request
from outbox_wait import outbox_drained

from tests.support.bounce_notices import (
    Report,
    What,
    generic_request,
    new_generic_secret,
    sendgrid_request,
    tags_of,
)
from tests.support.infra import LOCAL_AMQP, LOCAL_POSTGRES, Infrastructure
from tests.support.servers import free_port
from tests.unit.bounces.keys import SendGridKey

TARGET_BATCH_EVENTS_PER_SECOND = 2000
TARGET_SINGLE_REQUESTS_PER_SECOND = 500
TARGET_P99_MS = 50.0

baseline = FastAPI()


@baseline.post("/webhooks/email/{provider}")
async def read_only(provider: str, request: Request) -> dict[str, int]:
    """The baseline: HTTP, routing, reading the body, a JSON answer; nothing else."""
    return {"bytes": len(await request.body())}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process and its children (uvicorn's workers) have used
    so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(cpu_seconds(int(child)) for child in children)


@dataclass(frozen=True)
class Run:
    latencies: list[float]  # seconds
    elapsed: float
    statuses: dict[int, int]
    cpu: float = 0.0  # CPU seconds the server process used meanwhile
    window: tuple[float, float] = (0.0, 0.0)  # perf_counter at its start and end

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000

    def line(self, label: str, events_per_request: int = 1) -> str:
        requests = len(self.latencies)
        return (
            f"{label:<10} {requests / self.elapsed:8.0f} req/s "
            f"{requests * events_per_request / self.elapsed:8.0f} events/s   "
            f"p50 {self.percentile(50):6.1f}  p95 {self.percentile(95):6.1f}  "
            f"p99 {self.percentile(99):6.1f} ms  "
            f"max {max(self.latencies) * 1000:6.1f} ms   "
            f"server CPU {self.cpu / requests * 1000:5.2f} ms/req   statuses {self.statuses}"
        )

    def measured(self, cpu: float, window: tuple[float, float]) -> "Run":
        return Run(self.latencies, self.elapsed, self.statuses, cpu, window)


class Connection:
    """One keep-alive HTTP/1.1 connection: write a prepared request, read the answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> "Connection":
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, raw: bytes) -> int:
        self.writer.write(raw)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


def raw_request(port: int, provider: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (
        f"POST /webhooks/email/{provider} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Length: {len(body)}\r\n{head}\r\n"
    ).encode() + body


def _count(statuses: dict[int, int], status: int) -> None:
    statuses[status] = statuses.get(status, 0) + 1


async def closed_loop(port: int, requests: Sequence[bytes], connections: int) -> Run:
    """Each connection sends its next request as soon as the last is answered."""
    pending = list(reversed(requests))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker() -> None:
        connection = await Connection.open(port)
        try:
            while pending:
                raw = pending.pop()
                started = time.perf_counter()
                _count(statuses, await connection.send(raw))
                latencies.append(time.perf_counter() - started)
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return Run(latencies, time.perf_counter() - started, statuses)


async def paced(port: int, requests: Sequence[bytes], rate: float, connections: int = 48) -> Run:
    """Request i is due at start + i / rate; its latency counts from then."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await Connection.open(port))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(raw: bytes, due: float) -> None:
        connection = await idle.get()
        try:
            _count(statuses, await connection.send(raw))
            latencies.append(time.perf_counter() - due)
        finally:
            idle.put_nowait(connection)

    started = time.perf_counter()
    tasks = []
    for index, raw in enumerate(requests):
        due = started + index / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(raw, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    while not idle.empty():
        idle.get_nowait().close()
    return Run(latencies, elapsed, statuses)


class Bench:
    def __init__(self, run_id: str) -> None:
        self.infra = Infrastructure(LOCAL_POSTGRES, LOCAL_AMQP, run_id=run_id)
        self.vhost = f"lms-bench-{run_id}"
        self.amqp_url = self.infra.vhost_url(self.vhost)
        self.database = f"lms_bench_{run_id}_bounces"
        self.database_url = self.infra.database_url(self.database)
        self.logs = Path(tempfile.gettempdir()) / f"bench-bounces-{run_id}"
        self.logs.mkdir(exist_ok=True)
        self.sendgrid_key = SendGridKey.new()
        self.generic_secret = new_generic_secret()
        self.service_env: dict[str, str] = {}

    def env(self, port: int) -> dict[str, str]:
        return {
            "PROBE_OUT": str(self.logs / "probe.json"),
            "PATH": os.environ.get("PATH", ""),
            "DATABASE_URL": self.database_url,
            "AMQP_URL": self.amqp_url,
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "SENDGRID_VERIFICATION_KEY": self.sendgrid_key.console_text,
            "GENERIC_WEBHOOK_SECRET": self.generic_secret,
            **self.service_env,
        }

    def setup(self) -> None:
        for command in (
            ["add_vhost", self.vhost],
            ["set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*"],
        ):
            subprocess.run(["rabbitmqctl", *command], capture_output=True, check=True)
        subprocess.run(
            [sys.executable, "-m", "services.bounces", "migrate"],
            cwd=ROOT,
            env=self.env(0),
            capture_output=True,
            check=True,
        )

    def teardown(self) -> None:
        subprocess.run(["rabbitmqctl", "delete_vhost", self.vhost], capture_output=True)
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-qc",
                f'DROP DATABASE "{self.database}"',
            ],
            capture_output=True,
        )

    @asynccontextmanager
    async def process(self, command: list[str], port: int, name: str) -> AsyncIterator[int]:
        """Yields the process id once it answers (and, for the service, its broker is up)."""
        log = self.logs / f"{name}.log"
        with log.open("w") as out:
            process = await asyncio.create_subprocess_exec(
                *command, cwd=ROOT, env=self.env(port), stdout=out, stderr=out
            )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                for _ in range(600):
                    try:
                        answer = await client.get("/readyz")
                        if answer.status_code in (200, 404) and (
                            answer.status_code == 404 or answer.json()["broker"]
                        ):
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError(f"{name} did not start; see {log}")
            yield process.pid
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)


async def seed_index(database_url: str, count: int) -> list[Report]:
    """Messages the platform "sent" (as `invitation.sent` would have indexed them), and a
    hard bounce about each, carrying its tags and Message-ID as SendGrid hands them back."""
    tenant = uuid.uuid4()
    now = datetime.now(UTC)
    rows, reports = [], []
    for index in range(count):
        user, invitation = uuid.uuid4(), uuid.uuid4()
        address, message_id = f"u{index}@bench.example.com", f"<{uuid.uuid4()}@lms.bench>"
        rows.append((tenant, message_id, user, invitation, address, now, False))
        reports.append(
            Report(What.HARD_BOUNCE, address, message_id, tags_of(tenant, user, invitation))
        )
    connection = await asyncpg.connect(database_url)
    try:
        await connection.copy_records_to_table(
            "sent_messages",
            records=rows,
            columns=[
                "tenant_id",
                "message_id",
                "user_id",
                "invitation_id",
                "address",
                "sent_at",
                "is_reminder",
            ],
        )
    finally:
        await connection.close()
    return reports


async def spy_queue(amqp_url: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            "lms.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue("bench.bounces.spy", durable=True)
        await queue.bind(exchange, routing_key="email.#")
    finally:
        await connection.close()


async def on_the_bus(amqp_url: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue("bench.bounces.spy", durable=True, passive=True)
        return int(queue.declaration_result.message_count or 0)
    finally:
        await connection.close()


async def nothing_lost(bench: Bench, expected: int) -> str:
    connection = await asyncpg.connect(bench.database_url)
    try:
        await outbox_drained(bench.database_url)
        in_outbox = int(await connection.fetchval("SELECT count(*) FROM outbox"))
        published = int(
            await connection.fetchval("SELECT count(*) FROM notices WHERE status = 'published'")
        )
    finally:
        await connection.close()
    bus = 0
    async with asyncio.timeout(60):
        while (bus := await on_the_bus(bench.amqp_url)) < expected:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
    verdict = "nothing lost" if in_outbox == published == bus == expected else "LOST OR DUPLICATED"
    return (
        f"events expected {expected}, notices published {published}, outbox rows {in_outbox}, "
        f"on the bus {bus}: {verdict}"
    )


def _requests(
    bench: Bench, port: int, reports: Sequence[Report], per_request: int, provider: str
) -> list[bytes]:
    built = []
    for start in range(0, len(reports), per_request):
        chunk = reports[start : start + per_request]
        if provider == "generic":
            signed = generic_request(chunk, bench.generic_secret)
        else:
            signed = sendgrid_request(chunk, bench.sendgrid_key)
        built.append(raw_request(port, provider, signed.body, signed.headers))
    return built


async def measured(
    pid: int, port: int, requests: list[bytes], mode: str, rate: float, batch_size: int
) -> Run:
    before, started = cpu_seconds(pid), time.perf_counter()
    if mode == "batch":
        run = await closed_loop(port, requests, 4)
    elif mode == "paced batches":
        run = await paced(port, requests, TARGET_BATCH_EVENTS_PER_SECOND / batch_size)
    elif mode == "paced":
        run = await paced(port, requests, rate)
    else:
        run = await closed_loop(port, requests, 16)
    return run.measured(cpu_seconds(pid) - before, (started, time.perf_counter()))


def _verdict(value: float, target: float, higher_is_better: bool = True) -> str:
    ratio = value / target
    met = ratio >= 1 if higher_is_better else ratio <= 1
    return f"{'met' if met else 'MISSED'} ({ratio:.2f}× the target)"


async def main(args: argparse.Namespace) -> None:
    bench = Bench(uuid.uuid4().hex[:8])
    bench.service_env = dict(setting.split("=", 1) for setting in args.service_env)
    bench.setup()
    try:
        await measure(bench, args)
    finally:
        bench.teardown()


async def measure(bench: Bench, args: argparse.Namespace) -> None:
    batch_events = args.batches * args.batch_size
    events = 2 * batch_events + 2 * args.singles + 200
    reports = await seed_index(bench.database_url, events)
    await spy_queue(bench.amqp_url)
    warmup, reports = reports[:200], reports[200:]
    batched, reports = reports[:batch_events], reports[batch_events:]
    paced_batches, reports = reports[:batch_events], reports[batch_events:]
    paced_singles, fastest_singles = reports[: args.singles], reports[args.singles :]
    port, baseline_port = free_port(), free_port()
    service = [sys.executable, "-m", "services.bounces"]
    if args.processes > 1:  # the same app, served by uvicorn's workers on one port
        service = [sys.executable, "-m", "uvicorn", "services.bounces.app:create_app"]
        service += ["--factory", "--workers", str(args.processes), "--port", str(port)]
        service += ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
    trivial = [sys.executable, "-m", "uvicorn", "bench.bounces:baseline", "--port"]
    trivial += [str(baseline_port), "--loop", "uvloop", "--http", "httptools", "--no-access-log"]
    if args.probe:  # the same service, with the probes of bench/bounces_probe.py
        service = [sys.executable, str(ROOT / "bench" / "bounces_probe.py")]
    provider = args.single_provider
    print(f"P4 bounce webhooks, {args.processes} process(es) — logs in {bench.logs}", flush=True)
    async with (
        bench.process(service, port, "bounces") as service_pid,
        bench.process(trivial, baseline_port, "baseline") as baseline_pid,
    ):
        for target in (port, baseline_port):
            await closed_loop(target, _requests(bench, target, warmup, 1, provider), 8)
        results: list[tuple[str, Run, Run, int]] = []
        for label, chunk, per_request, mode in (
            (f"batches of {args.batch_size} (sendgrid)", batched, args.batch_size, "batch"),
            (
                f"batches at {TARGET_BATCH_EVENTS_PER_SECOND} events/s (sendgrid)",
                paced_batches,
                args.batch_size,
                "paced batches",
            ),
            (f"single events at {args.rate}/s ({provider})", paced_singles, 1, "paced"),
            (f"single events, 16 connections ({provider})", fastest_singles, 1, "fast"),
        ):
            kind = "sendgrid" if "batch" in mode else provider
            ours = _requests(bench, port, chunk, per_request, kind)
            trivial_requests = _requests(bench, baseline_port, chunk, per_request, kind)
            base = await measured(
                baseline_pid, baseline_port, trivial_requests, mode, args.rate, args.batch_size
            )
            cpu_before = cpu_seconds(service_pid)
            run = await measured(service_pid, port, ours, mode, args.rate, args.batch_size)
            # The next mode starts once this one's events are out: the relay publishing
            # a backlog would otherwise weigh on the next mode's latency.
            await outbox_drained(bench.database_url)
            # The CPU above is the mode's window only: what the relay publishes after it
            # (most of a saturated mode's events) is counted here.
            with_drain = (cpu_seconds(service_pid) - cpu_before) / len(run.latencies) * 1000
            results.append((label, run, base, per_request))
            load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
            print(f"{label}: load {load}", flush=True)
            print(run.line("  bounces ", per_request), flush=True)
            print(f"  bounces, CPU until its events were published: {with_drain:5.2f} ms/req")
            print(base.line("  baseline", per_request), flush=True)
            print(
                f"  p99 bounces − baseline: {run.percentile(99) - base.percentile(99):6.1f} ms",
                flush=True,
            )
        print(await nothing_lost(bench, events), flush=True)
    if args.probe:
        record = json.loads((bench.logs / "probe.json").read_text())
        for label, run, _, _ in results:
            print(f"\nwhere the time went, {label}:")
            print("\n".join(summarize(record, *run.window)))
    batch_run, paced_batch_run, paced_run, fast_run = (r[1] for r in results)
    batch_rate = len(batch_run.latencies) * args.batch_size / batch_run.elapsed
    print("\ntargets (P4):")
    print(
        f"  batches  {batch_rate:8.0f} events/s  ≥ {TARGET_BATCH_EVENTS_PER_SECOND}: "
        + _verdict(batch_rate, TARGET_BATCH_EVENTS_PER_SECOND)
    )
    single_rate = len(fast_run.latencies) / fast_run.elapsed
    print(
        f"  singles  {single_rate:8.0f} req/s     ≥ {TARGET_SINGLE_REQUESTS_PER_SECOND}: "
        + _verdict(single_rate, TARGET_SINGLE_REQUESTS_PER_SECOND)
    )
    for label, run in (
        (f"batches at {TARGET_BATCH_EVENTS_PER_SECOND} events/s", paced_batch_run),
        (f"singles at {args.rate:.0f}/s", paced_run),
    ):
        p99 = run.percentile(99)
        print(
            f"  p99 {label:<26} {p99:6.1f} ms      ≤ {TARGET_P99_MS:.0f} ms: "
            + _verdict(p99, TARGET_P99_MS, higher_is_better=False)
        )
    for label, run, base, _ in results:
        ratio = (len(base.latencies) / base.elapsed) / (len(run.latencies) / run.elapsed)
        median = statistics.median(run.latencies) / statistics.median(base.latencies)
        cpu = (run.cpu / len(run.latencies)) / (base.cpu / len(base.latencies) or float("nan"))
        print(
            f"  vs baseline, {label}: {ratio:.1f}× fewer req/s, median latency ×{median:.1f}, "
            f"server CPU per request ×{cpu:.1f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--singles", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--single-provider", choices=["sendgrid", "generic"], default="sendgrid")
    parser.add_argument(
        "--service-env", action="append", default=[], help="KEY=VALUE for the service's settings"
    )
    parser.add_argument("--probe", action="store_true", help="time the service's phases")
    parser.add_argument("--processes", type=int, default=1, help="uvicorn workers serving it")
    asyncio.run(main(parser.parse_args()))
