"""Running services as real processes for the fault tests: `python -m services.<name>` with
the environment an operator would set, its JSON log kept in a file per run, and the
signals an orchestrator sends (SIGTERM to stop, SIGKILL when it gives up)."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx

from tests.support.directory import migrate
from tests.support.infra import Infrastructure, create_database, drop_database
from tests.support.keys import (
    JWT_PRIVATE_KEY,
    JWT_PUBLIC_KEY,
    SEALING_PRIVATE_KEY,
    SEALING_PUBLIC_KEY,
)
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60.0


def report(test: str, **counts: object) -> None:
    """What a fault test measured, on one line (`pytest -s` shows it)."""
    figures = " ".join(f"{name}={value}" for name, value in counts.items())
    print(f"\nFAULTS {test}: {figures}", flush=True)


def common_env(database_url: str, amqp_url: str, port: int) -> dict[str, str]:
    return {
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url,
        "AMQP_URL": amqp_url,
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
        "LOG_JSON": "true",
        "JWT_PUBLIC_KEY": JWT_PUBLIC_KEY,
        "OUTBOX_POLL_SECONDS": "0.2",
        "OUTBOX_MAX_BACKOFF_SECONDS": "1",
        "CONSUMER_RETRY_DELAY_SECONDS": "0.05",
        "SHUTDOWN_TIMEOUT_SECONDS": "10",
    }


def directory_env(database_url: str, amqp_url: str, port: int, **more: str) -> dict[str, str]:
    return {
        **common_env(database_url, amqp_url, port),
        "JWT_PRIVATE_KEY": JWT_PRIVATE_KEY,
        "SEALING_PRIVATE_KEYS": SEALING_PRIVATE_KEY,
        "SESSION_COOKIE_SECURE": "false",
        "INVITATION_RESEND_INTERVAL_SECONDS": "0",
        **more,
    }


def invitations_env(
    database_url: str, amqp_url: str, port: int, smtp_port: int, **more: str
) -> dict[str, str]:
    return {
        **common_env(database_url, amqp_url, port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LOGIN_URL": "http://127.0.0.1/login",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_TIMEOUT_SECONDS": "5",
        "SENDER_ADDRESS": "invitations@lms.test",
        "CSRF_SECRET": "fault-tests-" + "x" * 32,
        "SEALING_PUBLIC_KEY": SEALING_PUBLIC_KEY,
        "COOKIE_SECURE": "false",
        "SEND_RETRY_BASE_SECONDS": "0.2",
        "SEND_RETRY_MAX_SECONDS": "1",
        "SEND_POLL_SECONDS": "0.5",
        "REMINDER_SCAN_SECONDS": "3600",
        **more,
    }


@dataclass
class ServiceProcess:
    """One service process, restartable; every run's output is kept in its own file."""

    name: str
    env: dict[str, str]
    logs: Path
    process: subprocess.Popen[bytes] | None = None
    runs: list[Path] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.env["PORT"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ServiceProcess":
        log = self.logs / f"{self.name}-{self.port}-{len(self.runs) + 1}.log"
        self.runs.append(log)
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.name}"],
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    async def healthy(self, within: float = STARTUP_SECONDS) -> None:
        """Until /healthz answers (the process serves HTTP)."""
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            deadline = time.monotonic() + within
            while time.monotonic() < deadline:
                self._still_running()
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} did not answer /healthz within {within} s")

    async def readiness(self) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            response = await client.get("/readyz")
        body: dict[str, Any] = response.json()
        body["http_status"] = response.status_code
        return body

    async def broker_connected(self, within: float = 30.0) -> None:
        async with asyncio.timeout(within):
            while not (await self.readiness())["broker"]:
                await asyncio.sleep(0.2)

    def _still_running(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            tail = "".join(self.runs[-1].read_text().splitlines(keepends=True)[-20:])
            raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{tail}")

    def cpu_seconds(self) -> float:
        """CPU time the running process used so far (user + system)."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    async def terminate(self, within: float = 30.0) -> float:
        """SIGTERM, then wait for the exit; returns the seconds it took."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(self.process.wait, within)
        return time.monotonic() - started

    async def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, 30)
            except subprocess.TimeoutExpired:
                self.kill()

    def records(self, run: int | None = None) -> list[dict[str, Any]]:
        """The JSON log lines of one run (1-based), or of every run."""
        files = self.runs if run is None else [self.runs[run - 1]]
        return [record for path in files for record in parse_log(path.read_text())]

    def lines_with(self, *words: str) -> list[dict[str, Any]]:
        return [r for r in self.records() if any(w in json.dumps(r) for w in words)]


def parse_log(text: str) -> Iterable[dict[str, Any]]:
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def warnings_in(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r.get("level") in ("warning", "error", "critical")]


@asynccontextmanager
async def service_database(infra: Infrastructure, service: str) -> AsyncIterator[str]:
    """A fresh, migrated database for one service of one test."""
    name = f"lms_test_{infra.run_id}_faults_{service}_{uuid.uuid4().hex[:6]}"
    url = await create_database(infra, name)
    await asyncio.to_thread(migrate, service, url)
    try:
        yield url
    finally:
        await drop_database(infra, name)


@asynccontextmanager
async def running(*services: ServiceProcess) -> AsyncIterator[None]:
    """Started here, stopped (SIGTERM, then SIGKILL) whatever the test did."""
    try:
        for service in services:
            service.start()
        yield
    finally:
        await asyncio.gather(*(service.stop() for service in services))


def new_service(name: str, env_for: Callable[[int], dict[str, str]], logs: Path) -> ServiceProcess:
    port = free_port()
    return ServiceProcess(name, env_for(port), logs)


async def wait_until(
    check: Callable[[], Any], within: float, what: str, every: float = 0.2
) -> None:
    """Until `check()` (sync or async) is true; fails saying `what` did not happen."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(every)
    raise AssertionError(f"{what} did not happen within {within} s")


async def fetch_value(database_url: str, query: str, *args: object) -> Any:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()


async def count(database_url: str, query: str, *args: object) -> int:
    return int(await fetch_value(database_url, query, *args) or 0)


class ConfirmProbe:
    """The broker's own confirm latency while a test runs: one persistent message to a
    quorum queue every `interval` seconds, with publisher confirms. Tells a service's
    slow publications apart from a slow broker."""

    def __init__(self, amqp_url: str, interval: float = 0.2) -> None:
        self._url = amqp_url
        self._interval = interval
        self.latencies: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> "ConfirmProbe":
        self._connection = await aio_pika.connect_robust(self._url)
        channel = await self._connection.channel(publisher_confirms=True)
        name = f"faults.probe.{uuid.uuid4().hex[:6]}"
        await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
        self._task = asyncio.create_task(self._run(channel, name))
        return self

    async def _run(self, channel: aio_pika.abc.AbstractChannel, queue: str) -> None:
        while True:
            started = time.monotonic()
            message = aio_pika.Message(b"probe", delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            await channel.default_exchange.publish(message, routing_key=queue)
            self.latencies.append(time.monotonic() - started)
            await asyncio.sleep(self._interval)

    def worst_ms(self) -> int:
        return round(max(self.latencies, default=0) * 1000)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._connection.close()


async def fill_outbox(database: str, rows: int) -> None:
    """Events waiting to be published, as a long burst of changes leaves them."""
    connection = await asyncpg.connect(database)
    try:
        await connection.execute(
            "INSERT INTO outbox (id, routing_key, body)"
            " SELECT id, 'fault.streamed', json_build_object('id', id, 'n', n)::text"
            " FROM (SELECT gen_random_uuid() AS id, n FROM generate_series(1, $1) AS n) AS s",
            rows,
        )
    finally:
        await connection.close()
