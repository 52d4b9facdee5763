"""`python -m stack`: check what the system needs, migrate and start every service, a
development mail catcher and the gateway (nginx when installed, else the built-in one);
Ctrl-C stops them all. A missing prerequisite is one line with its fix, and exit code 1.

Environment (all optional): POSTGRES_URL (server, default postgresql://postgres@127.0.0.1:5432),
AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/), GATEWAY_PORT (8080),
STACK_PORT_OFFSET (0), STACK_DB_PREFIX (lms_), SMTP_PORT (1025, started here if free),
STACK_STATE_DIR (.run).
"""

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import httpx

from services.directory.cli.keygen import new_key_pair
from shared.security.sealing import new_sealing_key_pair, public_key_of
from stack.checks import Missing, check_port_free, check_postgres, check_rabbitmq
from stack.gateway import nginx_config
from stack.services import GATEWAY_CLIENTS, GATEWAY_HEALTH, READY_PATH, ServiceSpec, available

READY_TIMEOUT = 120.0  # a busy machine: services connect to RabbitMQ slowly
RABBITMQ_MANAGEMENT_PORT = 15672
# The gateway's address: the only one whose X-Forwarded-For the services trust (uvicorn).
GATEWAY_ADDRESS = "127.0.0.1"


class StartupFailed(Exception):
    """Something the stack started did not come up; str() is the one line to print."""


@dataclass
class Child:
    label: str
    process: subprocess.Popen[bytes]


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _number(name: str, default: int) -> int:
    value = _env(name, str(default))
    if not value.isdigit():
        raise Missing(f"{name} must be a whole number, not {value!r}")
    return int(value)


def migrate_command(service: ServiceSpec) -> list[str]:
    return ["python", "-m", f"services.{service.name}", "migrate"]


def serve_command(service: ServiceSpec) -> list[str]:
    return ["python", "-m", f"services.{service.name}"]


def _python(command: list[str]) -> list[str]:
    return [sys.executable, *command[1:]]


class Stack:
    def __init__(self) -> None:
        self.postgres = _env("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
        self.amqp = _env("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
        self.gateway_port = _number("GATEWAY_PORT", 8080)
        self.smtp_port = _number("SMTP_PORT", 1025)
        self.db_prefix = _env("STACK_DB_PREFIX", "lms_")
        self.state = Path(_env("STACK_STATE_DIR", ".run")).resolve()
        self.port_offset = _number("STACK_PORT_OFFSET", 0)
        self.services = available(self.port_offset)
        self.children: list[Child] = []
        self.gateway: Child | None = None
        self.mail_folder: Path | None = None  # None: another SMTP server was already there

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def service_env(self, service: ServiceSpec) -> dict[str, str]:
        """What the stack sets for `service` (the rest of the environment passes through)."""
        private, public = self._keys()
        return {
            "PYTHONUNBUFFERED": "1",  # logs appear as they happen, even through a pipe
            "DATABASE_URL": f"{self.postgres}/{self.db_prefix}{service.name}",
            "AMQP_URL": self.amqp,
            "PORT": str(service.port),
            "FORWARDED_ALLOW_IPS": GATEWAY_ADDRESS,
            "JWT_PRIVATE_KEY": private if service.name == "directory" else "",
            "JWT_PUBLIC_KEY": public,
            **self._sealing_keys(service.name),
            "PUBLIC_URL": self.gateway_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            "SESSION_COOKIE_SECURE": "false",  # the gateway speaks plain HTTP here
            "COOKIE_SECURE": "false",
            "CSRF_SECRET": self._secret("csrf-secret"),
            "LINK_SECRET": self._secret("link-secret"),
            "COOKIE_SECRET": self._secret("cookie-secret"),
            "GATEWAY_URL": self.gateway_url,  # the admin console reaches the APIs there
            "EXPORT_DIR": str(self.state / "exports"),  # the exports service's files
        }

    def _secret(self, name: str) -> str:
        """A random secret kept in the state directory, the same across restarts."""
        path = self.state / name
        if not path.exists():
            self.state.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text()

    def _sealing_keys(self, service: str) -> dict[str, str]:
        """The directory opens the password hashes invitations seals for it."""
        private_file = self.state / "sealing-private.key"
        if not private_file.exists():
            self.state.mkdir(parents=True, exist_ok=True)
            private_file.write_text(new_sealing_key_pair()[0])
            private_file.chmod(0o600)
        private = private_file.read_text()
        if service == "directory":
            return {"SEALING_PRIVATE_KEYS": private}
        return {"SEALING_PUBLIC_KEY": public_key_of(private)}

    def _keys(self) -> tuple[str, str]:
        private_file, public_file = self.state / "jwt-private.pem", self.state / "jwt-public.pem"
        if not private_file.exists():
            self.state.mkdir(parents=True, exist_ok=True)
            private, public = new_key_pair()
            private_file.write_text(private)
            private_file.chmod(0o600)
            public_file.write_text(public)
        return private_file.read_text(), public_file.read_text()

    def check(self) -> None:
        """Raises Missing for the first prerequisite that is not there."""
        for service in self.services:
            check_port_free(service.port, f"the {service.name} service", "STACK_PORT_OFFSET")
        check_port_free(self.gateway_port, "the gateway", "GATEWAY_PORT")
        asyncio.run(check_postgres(self.postgres))
        asyncio.run(check_rabbitmq(self.amqp))

    def migrate(self) -> None:
        for service in self.services:
            done = subprocess.run(
                _python(migrate_command(service)),
                env={**os.environ, **self.service_env(service)},
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                log = self.state / f"migrate-{service.name}.log"
                log.write_text(done.stdout + done.stderr)
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise StartupFailed(f"migrating {service.name} failed: {last} (all of it: {log})")
            print(done.stdout.strip(), flush=True)

    def start(self) -> None:
        self._start_mail_catcher()
        for service in self.services:
            self._spawn(
                service.name,
                _python(serve_command(service)),
                {**os.environ, **self.service_env(service)},
            )
        nginx = shutil.which("nginx")  # PATH only, so a PATH without nginx means no nginx
        if nginx is None:
            print(
                "nginx not found on PATH: using the built-in gateway instead "
                "(for nginx: apt-get install nginx)",
                flush=True,
            )
            self._start_builtin_gateway()
        else:
            self._start_nginx(nginx)

    def _spawn(self, label: str, command: list[str], env: dict[str, str] | None = None) -> Child:
        child = Child(label, subprocess.Popen(command, env=env))
        self.children.append(child)
        return child

    def _start_mail_catcher(self) -> None:
        if _port_open("127.0.0.1", self.smtp_port):
            return  # Mailpit or another SMTP server is already there
        self.mail_folder = self.state / "mail"
        command = ["-m", "stack.mail", "--port", str(self.smtp_port)]
        self._spawn(
            "the mail catcher",
            [sys.executable, *command, "--folder", str(self.mail_folder)],
            {**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def _start_nginx(self, nginx: str) -> None:
        prefix = self.state / "nginx"
        prefix.mkdir(parents=True, exist_ok=True)
        config = prefix / "nginx.conf"
        config.write_text(nginx_config(self.services, self.gateway_port, prefix))
        command = [nginx, "-p", str(prefix), "-c", str(config), "-g", "daemon off;"]
        self.gateway = self._spawn("nginx", command)

    def _start_builtin_gateway(self) -> None:
        command = ["-m", "stack.proxy", "--port", str(self.gateway_port)]
        self.gateway = self._spawn(
            "the built-in gateway",
            [sys.executable, *command, "--port-offset", str(self.port_offset)],
        )

    async def wait_until_ready(self) -> None:
        async with httpx.AsyncClient(timeout=2, trust_env=False) as client:
            for service in self.services:
                if service.name not in GATEWAY_CLIENTS:
                    await self._wait_for(client, f"http://127.0.0.1:{service.port}{READY_PATH}")
            try:
                await self._wait_for(client, f"{self.gateway_url}{GATEWAY_HEALTH}")
            except StartupFailed:
                nginx = self.gateway
                if nginx is None or nginx.label != "nginx" or nginx.process.poll() is None:
                    raise
                print(
                    f"nginx did not start (its log: {self.state / 'nginx' / 'error.log'}): "
                    "using the built-in gateway instead",
                    flush=True,
                )
                self.children.remove(nginx)
                self._start_builtin_gateway()
                await self._wait_for(client, f"{self.gateway_url}{GATEWAY_HEALTH}")
            for service in self.services:  # ready once the APIs answer through the gateway
                if service.name in GATEWAY_CLIENTS:
                    await self._wait_for(client, f"http://127.0.0.1:{service.port}{READY_PATH}")

    async def _wait_for(self, client: httpx.AsyncClient, url: str) -> None:
        deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
        while asyncio.get_running_loop().time() < deadline:
            if dead := [c for c in self.children if c.process.poll() is not None]:
                first = dead[0]
                raise StartupFailed(
                    f"{first.label} exited during start-up "
                    f"(exit code {first.process.returncode}; its output is above)"
                )
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
        raise StartupFailed(f"{url} did not answer 200 within {READY_TIMEOUT:g} s")

    def where(self) -> list[str]:
        """Where each thing is, printed at the end of start-up."""
        kind = self.gateway.label if self.gateway else "no gateway"
        lines = [f"gateway        {self.gateway_url} ({kind})"]
        lines += [
            f"API docs       http://127.0.0.1:{s.port}/docs ({s.name})" for s in self.services
        ]
        if self.mail_folder is not None:
            lines.append(f"mail           {self.mail_folder} (SMTP 127.0.0.1:{self.smtp_port})")
        else:
            lines.append(f"mail           the SMTP server already on 127.0.0.1:{self.smtp_port}")
        host = urllib.parse.urlsplit(self.amqp).hostname or "127.0.0.1"
        if _port_open(host, RABBITMQ_MANAGEMENT_PORT):
            lines.append(f"RabbitMQ       http://{host}:{RABBITMQ_MANAGEMENT_PORT} (management)")
        return lines

    def stop(self) -> None:
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        for child in self.children:
            try:
                child.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.process.kill()


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        stack = Stack()
    except Missing as error:
        print(f"stack: {error}", file=sys.stderr, flush=True)
        return 1
    try:
        stack.check()
        stack.migrate()
        stack.start()
        asyncio.run(stack.wait_until_ready())
        print("\n".join(stack.where()), flush=True)
        names = ", ".join(s.name for s in stack.services)
        print(f"ready: {names} behind {stack.gateway_url} (Ctrl-C stops them)", flush=True)
        signal.pause()
    except (Missing, StartupFailed) as error:
        print(f"stack: {error}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
