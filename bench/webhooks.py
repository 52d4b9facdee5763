"""P6: Zapier deliveries, from the event on the bus to the receiver that got it.

    uv run python bench/webhooks.py [--latency-rounds 200] [--events 200] [--hooks 50]

Starts the webhooks service as its own process (the way it runs; local receivers are
allowed with WEBHOOKS_ALLOW_HTTP_TARGETS / WEBHOOKS_ALLOW_PRIVATE_TARGETS, as in
development), in its own database and RabbitMQ virtual host, and a receiver in this
process (uvicorn, a bare ASGI app that notes when each delivery arrived). Measures:

1. latency: one `user.updated` published at a time on the bus until the receiver got
   its delivery (p50/p95/max); next to it, the same signed POST sent by a bare httpx
   client to the same receiver;
2. throughput: `--events` events with `--hooks` subscriptions each (50 x 200 = 10,000
   deliveries to one local receiver), from the first publication to the last arrival;
   next to it, the same number of POSTs sent by a bare httpx loop with the service's
   per-target concurrency, in the same run;
3. the same again with a second receiver that answers at once, subscribed
   `--silent-hooks` times (the control: the others' cost of that many more deliveries);
4. the same again with, instead, a receiver that accepts connections and never answers,
   subscribed `--silent-hooks` times: the deliveries to the others should not slow down
   more than beside the receiver that answers.
"""
# ruff: noqa: E402 - the project root goes on sys.path before the project's imports

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aio_pika
import httpx
import uvicorn
import uvloop

from services.directory.cli.keygen import new_key_pair
from services.webhooks.adapters.http_delivery import json_body
from services.webhooks.adapters.signing import new_signing_secret, signature_headers
from shared.contracts import new_event
from shared.contracts.users import USER_UPDATED
from tests.support.infra import LOCAL_AMQP, LOCAL_POSTGRES, Infrastructure
from tests.support.servers import free_port
from tests.support.webhooks import admin_token
from tests.webhooks.users import snapshot

TARGET_P95_MS = 100
TARGET_PER_SECOND = 500
PER_TARGET = 8  # the service's default DELIVERY_PER_TARGET_CONCURRENCY

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class Receiver:
    """Answers 204 to every POST and notes when each (path, webhook-id) arrived."""

    def __init__(self) -> None:
        self.arrived: dict[tuple[str, str], float] = {}
        self.count = 0
        self._waiters: dict[str, asyncio.Future[float]] = {}
        self._target: tuple[int, asyncio.Future[None]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        now = time.perf_counter()
        webhook_id = dict(scope["headers"]).get(b"webhook-id", b"").decode()
        self.arrived[(scope["path"], webhook_id)] = now
        self.count += 1
        if (waiter := self._waiters.pop(webhook_id, None)) and not waiter.done():
            waiter.set_result(now)
        if self._target and self.count >= self._target[0] and not self._target[1].done():
            self._target[1].set_result(None)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def expect(self, webhook_id: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters[webhook_id] = future
        return future

    async def until_total(self, total: int, within: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._target = (total, future)
        if self.count >= total:
            return
        await asyncio.wait_for(future, within)


class Silent:
    """Accepts every request and never answers."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.count += 1
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(3600)


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        http="httptools",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True
        await task


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Bench:
    service_pids: list[int]

    def __init__(self, run_id: str) -> None:
        self.infra = Infrastructure(LOCAL_POSTGRES, LOCAL_AMQP, run_id=run_id)
        self.vhost = f"lms-bench-{run_id}"
        self.amqp_url = self.infra.vhost_url(self.vhost)
        self.database = f"lms_bench_{run_id}_webhooks"
        self.logs = Path(tempfile.gettempdir()) / f"bench-webhooks-{run_id}.log"
        self.private_key, self.public_key = new_key_pair()
        self.tenant = uuid.uuid4()
        self.extra: dict[str, str] = {}

    def env(self, port: int) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", ""),
            "DATABASE_URL": self.infra.database_url(self.database),
            "AMQP_URL": self.amqp_url,
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "JWT_PUBLIC_KEY": self.public_key,
            "WEBHOOKS_ALLOW_HTTP_TARGETS": "true",
            "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
            **self.extra,
        }

    def setup(self) -> None:
        subprocess.run(["rabbitmqctl", "add_vhost", self.vhost], capture_output=True, check=True)
        subprocess.run(
            ["rabbitmqctl", "set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*"],
            capture_output=True,
            check=True,
        )
        subprocess.run(
            [sys.executable, "-m", "services.webhooks", "migrate"],
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
    async def service(self, replicas: int) -> AsyncIterator[httpx.AsyncClient]:
        """`replicas` processes of the service on one database and virtual host; the
        client speaks to the first as the tenant's administrator."""
        ports = [free_port() for _ in range(replicas)]
        processes = []
        with self.logs.open("w") as out:
            for port in ports:
                processes.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-m",
                        "services.webhooks",
                        cwd=ROOT,
                        env=self.env(port),
                        stdout=out,
                        stderr=out,
                    )
                )
        self.service_pids = [process.pid for process in processes]
        token = admin_token(self.private_key, self.tenant)
        client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{ports[0]}", headers={"Authorization": f"Bearer {token}"}
        )
        try:
            async with httpx.AsyncClient() as probe:
                for port in ports:
                    await _until_ready(probe, f"http://127.0.0.1:{port}/readyz", self.logs)
            await asyncio.sleep(1.0)  # the consumers connect in the background
            yield client
        finally:
            await client.aclose()
            for process in processes:
                process.terminate()
            for process in processes:
                await asyncio.wait_for(process.wait(), 30)

    def service_cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.service_pids)


async def _until_ready(client: httpx.AsyncClient, url: str, logs: Path) -> None:
    for _ in range(300):
        try:
            if (await client.get(url)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the webhooks service did not start; see {logs}")


async def subscribe(admin: httpx.AsyncClient, url: str) -> None:
    response = await admin.post("/api/v1/hooks", json={"target_url": url, "event": "user.updated"})
    response.raise_for_status()


async def unsubscribe_all(admin: httpx.AsyncClient) -> None:
    for hook in (await admin.get("/api/v1/hooks")).json():
        await admin.delete(f"/api/v1/hooks/{hook['id']}")


def _events(tenant: uuid.UUID, count: int) -> list[tuple[str, bytes]]:
    events = []
    for _ in range(count):
        user = snapshot(tenant)
        event = new_event(
            USER_UPDATED, source="/bench", tenant_id=tenant, data=user, subject=str(user.id)
        )
        events.append((event.id, event.model_dump_json().encode()))
    return events


class Bus:
    def __init__(self, amqp_url: str) -> None:
        self._url = amqp_url

    async def __aenter__(self) -> "Bus":
        self._connection = await aio_pika.connect(self._url)
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await channel.get_exchange("lms.events")
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._connection.close()

    async def publish(self, event_id: str, body: bytes) -> None:
        message = aio_pika.Message(body, message_id=event_id, delivery_mode=2)
        await self._exchange.publish(message, routing_key=USER_UPDATED)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{name:<50} p50 {statistics.median(ms):7.1f} ms   p95 {_percentile(ms, 0.95):7.1f} ms"
        f"   max {max(ms):7.1f} ms   (n={len(ms)})"
    )


async def _means(admin: httpx.AsyncClient) -> dict[str, tuple[float, float]]:
    """(sum, count) of the service's histograms: message handling, delivery attempts."""
    text = (await admin.get("/metrics")).text
    found = {}
    for name in ("message_handling_duration_seconds", "webhook_attempt_duration_seconds"):
        total = re.search(rf"^{name}_sum{{[^}}]*}} (\S+)$", text, re.MULTILINE)
        count = re.search(rf"^{name}_count{{[^}}]*}} (\S+)$", text, re.MULTILINE)
        found[name] = (float(total.group(1)), float(count.group(1))) if total and count else (0, 0)
    return found


def _mean_ms(before: tuple[float, float], after: tuple[float, float]) -> float:
    count = after[1] - before[1]
    return (after[0] - before[0]) / count * 1000 if count else 0.0


async def measure_latency(
    bench: Bench, admin: httpx.AsyncClient, receiver: Receiver, url: str, rounds: int
) -> float:
    await subscribe(admin, f"{url}/latency")
    before = await _means(admin)
    end_to_end, bare = [], []
    secret = new_signing_secret()
    async with Bus(bench.amqp_url) as bus, httpx.AsyncClient() as plain:
        for event_id, body in _events(bench.tenant, rounds):
            arrived = receiver.expect(event_id)
            started = time.perf_counter()
            await bus.publish(event_id, body)
            end_to_end.append(await asyncio.wait_for(arrived, 30) - started)
            payload = json.loads(body)["data"]
            raw = json_body(payload)
            headers = signature_headers(secret, event_id, datetime.now(UTC), raw)
            started = time.perf_counter()
            await plain.post(f"{url}/bare", content=raw, headers=headers)
            bare.append(time.perf_counter() - started)
    after = await _means(admin)
    await unsubscribe_all(admin)
    p95 = _percentile(end_to_end, 0.95) * 1000
    print(_summary("event published -> receiver got it (P6)", end_to_end))
    print(_summary("  baseline: the same signed POST, bare httpx", bare))
    handling, attempt = (
        _mean_ms(before[name], after[name])
        for name in ("message_handling_duration_seconds", "webhook_attempt_duration_seconds")
    )
    print(
        f"  in the service (means): consuming the event {handling:.1f} ms,"
        f" the POST {attempt:.1f} ms, the rest is waking, claiming and the bus"
    )
    print(f"  target p95 <= {TARGET_P95_MS} ms: {'OK' if p95 <= TARGET_P95_MS else 'MISSED'}")
    return p95


async def measure_throughput(
    bench: Bench,
    admin: httpx.AsyncClient,
    receiver: Receiver,
    url: str,
    arguments: argparse.Namespace,
    extra_url: str | None = None,
    label: str = "to one local receiver",
) -> float:
    """Deliveries to `arguments.hooks` hooks of `receiver`, timed; with `extra_url`,
    `arguments.silent_hooks` more hooks to that other receiver get the same events."""
    for n in range(arguments.hooks):
        await subscribe(admin, f"{url}/hook-{n}")
    if extra_url is not None:
        for n in range(arguments.silent_hooks):
            await subscribe(admin, f"{extra_url}/extra-{n}")
    deliveries: int = arguments.events * arguments.hooks
    events = _events(bench.tenant, arguments.events)
    before = receiver.count
    cpu_before = bench.service_cpu()
    started = time.perf_counter()
    async with Bus(bench.amqp_url) as bus:
        await asyncio.gather(*(bus.publish(event_id, body) for event_id, body in events))
        published = time.perf_counter() - started
        await receiver.until_total(before + deliveries, within=600)
    elapsed = time.perf_counter() - started
    cpu = bench.service_cpu() - cpu_before
    rate = deliveries / elapsed
    latencies = [
        receiver.arrived[(f"/hook-{n}", event_id)] - started
        for n in range(arguments.hooks)
        for event_id, _ in events
    ]
    print(
        f"{arguments.events} events x {arguments.hooks} hooks = {deliveries} deliveries {label}:"
        f" {elapsed:.1f} s, {rate:.0f}/s (publishing took {published:.2f} s;"
        f" half arrived within {statistics.median(latencies):.2f} s)"
    )
    print(
        f"  the service used {cpu / deliveries * 1000:.2f} ms of CPU per delivery"
        f" ({cpu / elapsed:.0%} of a core in all); machine load {os.getloadavg()[0]:.1f}"
    )
    await unsubscribe_all(admin)
    return rate


async def bare_loop(url: str, count: int, concurrency: int) -> tuple[float, float]:
    """The same signed POSTs from a bare httpx client, `concurrency` at a time: (seconds,
    CPU seconds of this process)."""
    secret = new_signing_secret()
    payload = json.loads(_events(uuid.uuid4(), 1)[0][1])["data"]
    raw = json_body(payload)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            headers = signature_headers(secret, f"bare-{n}", datetime.now(UTC), raw)
            await client.post(f"{url}/bare-loop", content=raw, headers=headers)

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:
        cpu_before, started = cpu_seconds(os.getpid()), time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return time.perf_counter() - started, cpu_seconds(os.getpid()) - cpu_before


async def baselines(url: str, count: int, concurrency: int) -> float:
    """The bare loop in a process of its own (as the service is: each POST crosses from
    one process to the receiver's), and in the receiver's own process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--bare-loop", url, str(count), str(concurrency),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, _ = await process.communicate()
    elapsed, cpu = json.loads(output)
    rate: float = count / elapsed
    print(
        f"  baseline: {count} POSTs by a bare httpx loop in its own process, {concurrency}"
        f" at a time: {elapsed:.1f} s, {rate:.0f}/s; {cpu / count * 1000:.2f} ms of CPU per POST"
    )
    elapsed, cpu = await bare_loop(url, count, concurrency)
    print(
        f"  the same loop in the receiver's process (no hop between processes):"
        f" {count / elapsed:.0f}/s; {cpu / count * 1000:.2f} ms of CPU per POST and answer"
    )
    return rate


async def main(arguments: argparse.Namespace) -> None:
    bench = Bench(uuid.uuid4().hex[:8])
    bench.extra = dict(setting.split("=", 1) for setting in arguments.set)
    bench.setup()
    receiver, silent, answering = Receiver(), Silent(), Receiver()
    try:
        async with (
            serving(receiver) as url,
            serving(silent) as silent_url,
            serving(answering) as answering_url,
            bench.service(arguments.replicas) as admin,
        ):
            print(
                f"P6 on {os.cpu_count()} CPUs, {arguments.replicas} webhooks process(es);"
                f" their log: {bench.logs}"
            )
            await measure_latency(bench, admin, receiver, url, arguments.latency_rounds)
            rate = await measure_throughput(bench, admin, receiver, url, arguments)
            deliveries = arguments.events * arguments.hooks
            await baselines(url, deliveries, PER_TARGET)
            verdict = "OK" if rate >= TARGET_PER_SECOND else "MISSED"
            print(f"  target >= {TARGET_PER_SECOND} deliveries/s: {verdict}")
            if arguments.skip_silent:
                return
            # The control first: as many extra hooks to a receiver that answers at once.
            # What the others lose there is the cost of the extra deliveries themselves
            # (queued, claimed, sent), not of a silence. (Run after the silent one, it would
            # meet the silent receiver's claims still held until their attempts time out.)
            loaded = await measure_throughput(
                bench, admin, receiver, url, arguments, answering_url,
                "with a second receiver that answers",
            )  # fmt: skip
            print(
                f"  the second receiver got {answering.count} requests; the others ran at"
                f" {loaded / rate:.0%} of the speed without it"
            )
            slowed = await measure_throughput(
                bench, admin, receiver, url, arguments, silent_url, "with a silent receiver"
            )
            print(
                f"  the silent receiver got {silent.count} requests (and answered none);"
                f" the others ran at {slowed / rate:.0%} of the speed without it,"
                f" {slowed / loaded:.0%} of their speed beside the receiver that answers"
            )
    finally:
        if not arguments.keep:
            bench.teardown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-rounds", type=int, default=200)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--hooks", type=int, default=50)
    parser.add_argument("--silent-hooks", type=int, default=10)
    parser.add_argument(
        "--skip-silent",
        action="store_true",
        help="no runs with a second receiver (answering, then silent)",
    )
    parser.add_argument("--replicas", type=int, default=1, help="webhooks processes")
    parser.add_argument(
        "--set", action="append", default=[], help="NAME=VALUE for the webhooks service"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and vhost")
    parser.add_argument("--bare-loop", nargs=3, metavar=("URL", "COUNT", "CONCURRENCY"))
    parsed = parser.parse_args()
    if parsed.bare_loop:  # the baseline, run by the bench in a process of its own
        url, count, concurrency = parsed.bare_loop
        print(json.dumps(uvloop.run(bare_loop(url, int(count), int(concurrency)))))
    else:
        uvloop.run(main(parsed))
