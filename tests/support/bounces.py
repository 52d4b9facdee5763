"""Running the bounces service for tests: its database, every provider configured with keys
made for the run, a local HTTP server standing for SNS (allowed by the test-only setting),
and the few direct looks at its database that no API gives (the outbox, the notices)."""

import asyncio
import json
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI, Request, Response

from services.bounces.app import create_app
from services.bounces.settings import BouncesSettings
from shared.contracts.invitations import InvitationSent
from tests.support.bounce_notices import ProviderSecrets, Signed
from tests.support.bus import EventPublisher
from tests.support.directory import migrate
from tests.support.infra import Infrastructure, create_database, drop_database
from tests.support.servers import RunningServer


class SnsHost:
    """Stands for sns.<region>.amazonaws.com: answers SubscribeURL visits and counts them."""

    def __init__(self) -> None:
        self.confirmed: list[str] = []  # the tokens of the subscriptions confirmed
        self.answer = 200
        self.app = FastAPI()
        self.app.add_api_route("/", self.subscribe, methods=["GET"])
        self.server = RunningServer(self.app)

    async def subscribe(self, request: Request) -> Response:
        if request.query_params.get("Action") != "ConfirmSubscription":
            return Response(status_code=400)
        if self.answer == 200:
            self.confirmed.append(request.query_params.get("Token", ""))
        return Response("<ConfirmSubscriptionResponse/>", status_code=self.answer)

    @property
    def origin(self) -> str:
        return self.server.url

    def subscribe_url(self, token: str = "") -> str:
        token = token or uuid.uuid4().hex
        return f"{self.origin}/?Action=ConfirmSubscription&TopicArn=arn&Token={token}"


def bounces_settings(
    database_url: str, amqp_url: str, secrets: ProviderSecrets, certificates: Path, **overrides: Any
) -> BouncesSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "amqp_url": amqp_url,
        **secrets.environment(certificates),
        "log_json": True,
        "outbox_poll_seconds": 0.2,
        "outbox_max_backoff_seconds": 1.0,
        "consumer_retry_delay_seconds": 0.05,
        **overrides,
    }
    return BouncesSettings(**values)


@dataclass
class BouncesStack:
    """The bounces service on a real port, its secrets, its SNS stand-in and its database."""

    settings: BouncesSettings
    server: RunningServer
    secrets: ProviderSecrets
    sns: SnsHost
    database: str
    folder: tempfile.TemporaryDirectory[str]
    sql: asyncpg.Pool | None = field(default=None, repr=False)

    async def stop(self, infra: Infrastructure) -> None:
        await self.server.stop()
        await self.sns.server.stop()
        if self.sql is not None:
            await self.sql.close()
        await drop_database(infra, self.database)
        self.folder.cleanup()


async def new_database(infra: Infrastructure, label: str = "bounces") -> tuple[str, str]:
    name = f"lms_test_{infra.run_id}_{label}"
    url = await create_database(infra, name)
    await asyncio.to_thread(migrate, "bounces", url)
    return name, url


async def start_bounces(infra: Infrastructure, amqp_url: str) -> BouncesStack:
    """One bounces service per test run: two would compete for the same queue with
    different databases."""
    name, url = await new_database(infra)
    secrets = ProviderSecrets.new()
    sns = SnsHost()
    await sns.server.start()
    folder = tempfile.TemporaryDirectory()
    settings = bounces_settings(
        url,
        amqp_url,
        secrets,
        Path(folder.name) / "sns.pem",
        sns_allow_origin_for_tests=sns.origin,
    )
    server = await RunningServer(create_app(settings)).start()
    await connected(server)
    stack = BouncesStack(settings, server, secrets, sns, name, folder)
    stack.sql = await asyncpg.create_pool(url, min_size=1, max_size=3)
    return stack


async def connected(server: RunningServer, within: float = 30.0) -> None:
    """Until the service's queue is declared and consumed: an event published before
    would reach no queue."""
    async with httpx.AsyncClient(base_url=server.url) as client, asyncio.timeout(within):
        while not (await client.get("/readyz")).json()["broker"]:
            await asyncio.sleep(0.05)


async def post(server_url: str, provider: str, request: Signed) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as client:
        return await client.post(
            f"/webhooks/email/{provider}", content=request.body, headers=request.headers
        )


async def wait_until_indexed(sql: asyncpg.Pool, message_id: str, within: float = 15.0) -> None:
    """Until the service has recorded `invitation.sent` for that Message-ID."""
    async with asyncio.timeout(within):
        while not await sql.fetchval(
            "SELECT 1 FROM sent_messages WHERE message_id = $1", message_id
        ):
            await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Mailed:
    """A message the platform sent, as `invitation.sent` told the bounces service."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    invitation_id: uuid.UUID
    address: str
    message_id: str

    @property
    def tags(self) -> dict[str, str]:
        return {
            "tenant_id": str(self.tenant_id),
            "user_id": str(self.user_id),
            "invitation_id": str(self.invitation_id),
            "kind": "invitation",
        }


async def mailed(
    events: EventPublisher,
    sql: asyncpg.Pool,
    sent_at: datetime,
    *,
    address: str | None = None,
    tenant_id: uuid.UUID | None = None,
) -> Mailed:
    """Publish `invitation.sent` as the invitations service does; wait until indexed."""
    message = Mailed(
        tenant_id or uuid.uuid4(),
        uuid.uuid4(),
        uuid.uuid4(),
        address or f"user-{uuid.uuid4().hex[:10]}@example.com",
        f"<{uuid.uuid4()}@lms.test>",
    )
    sent = InvitationSent(
        request_id=message.invitation_id,
        user_id=message.user_id,
        email=message.address,
        message_id=message.message_id,
        first_sent_at=sent_at,
        sent_at=sent_at,
        expires_at=sent_at,
        attempt=1,
    )
    await events.publish("invitation.sent", message.tenant_id, sent, subject=str(message.user_id))
    await wait_until_indexed(sql, message.message_id)
    return message


async def outbox_events(sql: asyncpg.Pool, provider_event_id: str) -> list[dict[str, Any]]:
    """The events the service wrote for a provider event (published or waiting)."""
    rows = await sql.fetch(
        "SELECT body FROM outbox WHERE body::jsonb #>> '{data,provider_event_id}' = $1",
        provider_event_id,
    )
    return [json.loads(row["body"]) for row in rows]


async def notice_row(sql: asyncpg.Pool, provider: str, provider_event_id: str) -> Any:
    return await sql.fetchrow(
        "SELECT * FROM notices WHERE provider = $1 AND provider_event_id = $2",
        provider,
        provider_event_id,
    )


async def raw_count(sql: asyncpg.Pool) -> int:
    return int(await sql.fetchval("SELECT count(*) FROM raw_events"))


async def outbox_count(sql: asyncpg.Pool) -> int:
    return int(await sql.fetchval("SELECT count(*) FROM outbox"))
