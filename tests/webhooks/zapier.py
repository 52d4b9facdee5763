"""A Zapier connection as the integration API's tests have it: a tenant of the real
directory with an API key its administrator made on the webhooks service."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.directory import Lms
from tests.support.infra import Infrastructure
from tests.support.webhooks import own_database_and_vhost, start_webhooks, webhooks_settings

INVITATIONS = "/api/v1/integrations/invitations"


@dataclass
class Zapier:
    """A tenant of the directory with an API key its administrator made on the webhooks
    service, as a Zapier connection has it."""

    lms: Lms
    admin: httpx.AsyncClient  # the administrator's access token, on the webhooks service
    client: httpx.AsyncClient  # X-API-Key
    key: dict[str, Any]

    async def invite(self, email: str | None = None, **fields: Any) -> httpx.Response:
        headers = fields.pop("headers", None)
        body = {
            "email": email or f"zap-{uuid.uuid4().hex[:10]}@example.com",
            "first_name": fields.pop("first_name", "Léa"),
            "last_name": fields.pop("last_name", "Fortin"),
            **fields,
        }
        return await self.client.post(INVITATIONS, json=body, headers=headers)


async def key_of(
    directory_client: httpx.AsyncClient, webhooks_url: str
) -> tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, Any]]:
    """An API key made by the administrator logged in with `directory_client`."""
    token = (await directory_client.post("/api/v1/auth/token")).json()["access_token"]
    admin = httpx.AsyncClient(
        base_url=webhooks_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    response = await admin.post("/api/v1/api-keys", json={"name": "Zapier"})
    assert response.status_code == 201, response.text
    key: dict[str, Any] = response.json()
    client = httpx.AsyncClient(base_url=webhooks_url, headers={"X-API-Key": key["key"]}, timeout=30)
    return admin, client, key


async def until_connected(admin: httpx.AsyncClient) -> None:
    for _ in range(100):
        ready = await admin.get("/readyz")
        if ready.status_code == 200 and ready.json().get("broker"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the webhooks service never connected to its broker")


NOWHERE = "amqp://guest:guest@127.0.0.1:1/"  # nothing listens on port 1


@asynccontextmanager
async def webhooks_without_directory(
    infra: Infrastructure,
    jwt_keys: tuple[str, str],
    zapier: Zapier,
    name: str,
    *,
    broker_away: bool = False,
) -> AsyncIterator[httpx.AsyncClient]:
    """The admin's client to a webhooks service of its own, on a bus where no directory
    answers its commands (within 1 s), or with no broker at all (`broker_away`)."""
    async with own_database_and_vhost(infra, name) as (database_url, amqp_url):
        settings = webhooks_settings(
            database_url,
            NOWHERE if broker_away else amqp_url,
            jwt_keys[1],
            directory_command_timeout_seconds=1.0,
        )
        server = await start_webhooks(settings)
        try:
            token = zapier.admin.headers["Authorization"]
            async with httpx.AsyncClient(
                base_url=server.url, headers={"Authorization": token}, timeout=30
            ) as admin:
                if not broker_away:
                    await until_connected(admin)
                yield admin
        finally:
            await server.stop()
