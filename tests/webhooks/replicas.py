"""A webhooks service as a process of its own (`python -m services.webhooks`), the way a
replica runs, so a test can kill it."""

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx

from services.webhooks.settings import WebhooksSettings
from tests.support.servers import free_port
from tests.support.webhooks import webhooks_settings

ROOT = Path(__file__).resolve().parents[2]


def settings_for_replicas(
    database_url: str, amqp_url: str, jwt_public_key: str
) -> WebhooksSettings:
    """Attempts may take 2 s; a killed replica's claims are taken over 6 s after they were
    made (a test waits seconds, not the production lease)."""
    return webhooks_settings(
        database_url,
        amqp_url,
        jwt_public_key,
        delivery_timeout_seconds=2.0,
        delivery_lease_seconds=6.0,
    )


class Replica:
    def __init__(self, settings: WebhooksSettings) -> None:
        self.port = free_port()
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PORT": str(self.port),
            "LOG_LEVEL": "WARNING",
            **{
                name.upper(): str(value)
                for name, value in settings.model_dump(mode="json").items()
                if value is not None and name not in ("port", "jwt_public_key_file")
            },
        }
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> "Replica":
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.webhooks", cwd=ROOT, env=self.env
        )
        async with httpx.AsyncClient(base_url=self.url) as client:
            for _ in range(300):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                if self.process.returncode is not None:
                    raise RuntimeError("the replica exited during start-up")
                await asyncio.sleep(0.1)
        raise TimeoutError("the replica did not become ready")

    async def kill(self) -> None:
        """SIGKILL: no graceful stop, its claims are left as they are."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 30)

    async def metrics(self) -> str:
        async with httpx.AsyncClient(base_url=self.url) as client:
            return (await client.get("/metrics")).text
