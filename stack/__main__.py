"""`python -m stack`: migrate and start every service, a development mail catcher and
the nginx gateway; Ctrl-C stops them all.

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
import subprocess
import sys
from pathlib import Path

import httpx

from services.directory.cli.keygen import new_key_pair
from shared.security.sealing import new_sealing_key_pair, public_key_of
from stack.gateway import nginx_config
from stack.services import ServiceSpec, available

READY_TIMEOUT = 60.0


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


class Stack:
    def __init__(self) -> None:
        self.postgres = _env("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
        self.amqp = _env("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
        self.gateway_port = int(_env("GATEWAY_PORT", "8080"))
        self.smtp_port = int(_env("SMTP_PORT", "1025"))
        self.db_prefix = _env("STACK_DB_PREFIX", "lms_")
        self.state = Path(_env("STACK_STATE_DIR", ".run")).resolve()
        self.services = available(int(_env("STACK_PORT_OFFSET", "0")))
        self.processes: list[subprocess.Popen[bytes]] = []

    def service_env(self, service: ServiceSpec) -> dict[str, str]:
        private, public = self._keys()
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",  # logs appear as they happen, even through a pipe
            "DATABASE_URL": f"{self.postgres}/{self.db_prefix}{service.name}",
            "AMQP_URL": self.amqp,
            "PORT": str(service.port),
            "JWT_PRIVATE_KEY": private if service.name == "directory" else "",
            "JWT_PUBLIC_KEY": public,
            **self._sealing_keys(service.name),
            "PUBLIC_URL": f"http://127.0.0.1:{self.gateway_port}",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            "SESSION_COOKIE_SECURE": "false",  # the gateway speaks plain HTTP here
            "COOKIE_SECURE": "false",
            "CSRF_SECRET": self._secret("csrf-secret"),
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

    def migrate(self) -> None:
        for service in self.services:
            subprocess.run(
                [sys.executable, "-m", f"services.{service.name}", "migrate"],
                env=self.service_env(service),
                check=True,
            )

    def start(self) -> None:
        self._start_mail_catcher()
        for service in self.services:
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", f"services.{service.name}"],
                    env=self.service_env(service),
                )
            )
        self._start_gateway()

    def _start_mail_catcher(self) -> None:
        if _port_open(self.smtp_port):
            return  # Mailpit or another SMTP server is already there
        self.processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "aiosmtpd",
                    "-n",
                    "-l",
                    f"127.0.0.1:{self.smtp_port}",
                    "-c",
                    "aiosmtpd.handlers.Debugging",
                    "stdout",
                ],
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        )

    def _start_gateway(self) -> None:
        nginx = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
        if nginx is None:
            print("nginx not found: services answer on their own ports only", file=sys.stderr)
            return
        prefix = self.state / "nginx"
        prefix.mkdir(parents=True, exist_ok=True)
        config = prefix / "nginx.conf"
        config.write_text(nginx_config(self.services, self.gateway_port, prefix))
        self.processes.append(
            subprocess.Popen([nginx, "-p", str(prefix), "-c", str(config), "-g", "daemon off;"])
        )

    async def wait_until_ready(self) -> None:
        async with httpx.AsyncClient(timeout=2) as client:
            for service in self.services:
                await self._wait_for(client, f"http://127.0.0.1:{service.port}/readyz")
            await self._wait_for(client, f"http://127.0.0.1:{self.gateway_port}/health")

    async def _wait_for(self, client: httpx.AsyncClient, url: str) -> None:
        deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
        while asyncio.get_running_loop().time() < deadline:
            if dead := [p.args for p in self.processes if p.poll() is not None]:
                raise RuntimeError(f"a process of the stack exited: {dead}")
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
        raise TimeoutError(f"{url} did not become ready")

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def main() -> None:
    stack = Stack()
    stack.migrate()
    stack.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        asyncio.run(stack.wait_until_ready())
        names = ", ".join(s.name for s in stack.services)
        print(f"ready: {names} behind http://127.0.0.1:{stack.gateway_port}", flush=True)
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
