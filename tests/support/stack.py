"""Running `python -m stack` as the README says, as real processes, on free ports, with its
own databases and RabbitMQ virtual host; what it prints is kept for the test to read."""

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from stack.checks import Missing, check_port_free
from stack.services import available
from tests.support.infra import Infrastructure, drop_database
from tests.support.servers import free_port

STARTUP_SECONDS = 240


@dataclass
class RunningStack:
    gateway: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    output: list[str]  # what the stack printed (its services' logs, the mail catcher's lines)

    @property
    def state(self) -> Path:
        return Path(self.env["STACK_STATE_DIR"])

    def database_url(self, service: str) -> str:
        return f"{self.env['POSTGRES_URL']}/{self.env['STACK_DB_PREFIX']}{service}"

    async def wait_for_line(self, wanted: str, within: float) -> str:
        async with asyncio.timeout(within):
            while True:
                if found := next((line for line in self.output if wanted in line), None):
                    return found
                if self.process.poll() is not None:
                    said = "".join(self.output[-5:])
                    raise RuntimeError(f"the stack exited with {self.process.returncode}: {said}")
                await asyncio.sleep(0.1)


def port_offset() -> int:
    """An offset putting every service of the stack on a free port, below the range the
    kernel hands out to outgoing connections (32768 and up here): a port merely free of
    listeners there may be the local end of some connection by the time the stack binds."""
    while True:
        offset = random.randrange(10_000, 24_000, 10)
        if all(_free(spec.port) for spec in available(offset)):
            return offset


def _free(port: int) -> bool:
    """As the stack checks it before starting."""
    try:
        check_port_free(port, "", "")
    except Missing:
        return False
    return True


def python_only_path(folder: Path) -> str:
    """A PATH holding python and nothing else (no nginx, whatever the machine has)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "python").symlink_to(sys.executable)
    return str(folder)


def _drain(process: subprocess.Popen[str], output: list[str]) -> None:
    """Keep reading what the stack prints, so a full pipe never blocks its processes."""
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)


def _launch(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "stack"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # the stack's one-line messages too
        text=True,
    )


@asynccontextmanager
async def running_stack(
    infra: Infrastructure, amqp_url: str, state: Path, path: str | None = None
) -> AsyncIterator[RunningStack]:
    server = urllib.parse.urlsplit(infra.postgres_url)._replace(path="").geturl()
    prefix = f"lms_test_{infra.run_id}_stack_"
    env = {
        **os.environ,
        "POSTGRES_URL": server,
        "AMQP_URL": amqp_url,
        "GATEWAY_PORT": str(free_port()),
        "SMTP_PORT": str(free_port()),
        "STACK_PORT_OFFSET": str(port_offset()),
        "STACK_DB_PREFIX": prefix,
        "STACK_STATE_DIR": str(state),
    }
    if path is not None:
        env["PATH"] = path
    process = _launch(env)
    output: list[str] = []
    threading.Thread(target=_drain, args=(process, output), daemon=True).start()
    running = RunningStack(f"http://127.0.0.1:{env['GATEWAY_PORT']}", env, process, output)
    try:
        await running.wait_for_line("ready:", STARTUP_SECONDS)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(process.wait, 30)
        for spec in available():
            await drop_database(infra, f"{prefix}{spec.name}")


def create_admin(stack: RunningStack, tenant: str, email: str, password: str) -> str:
    """`python -m services.directory create-admin` against the stack's database."""
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.directory",
            "create-admin",
            "--tenant",
            tenant,
            "--email",
            email,
            "--password",
            password,
        ],
        env={**stack.env, "DATABASE_URL": stack.database_url("directory")},
        capture_output=True,
        text=True,
        check=True,
    )
    return created.stdout
