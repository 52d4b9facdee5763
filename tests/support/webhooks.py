"""Running the webhooks service for tests: its settings (time compressed, local receivers
allowed), a real HTTP receiver that answers as a test scripts it, and acting as an
administrator or an integration (API key) would. The root conftest starts the service
for the run (`webhooks_stack`) and the receiver (`hook_receiver`)."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

from services.directory.api.access_tokens import AccessTokenIssuer
from services.webhooks.adapters.resolver import Resolver
from services.webhooks.app import create_app
from services.webhooks.settings import WebhooksSettings
from shared.security.access_tokens import Principal
from shared.security.permissions import Permission
from tests.support.directory import migrate
from tests.support.infra import Infrastructure, create_database, drop_database
from tests.support.servers import RunningServer

# 24 h of failures (when a hook is disabled) pass in 2.4 s; the retries of one delivery
# (5 s, 1 min, 5 min, 30 min, 2 h, 5 h, 8 h, 10 h) in about 2.6 s.
TIME_COMPRESSION = 36_000
# Long enough for a local receiver on a busy test machine; HANG outlasts it.
ATTEMPT_TIMEOUT_SECONDS = 3.0
LEASE_SECONDS = 30.0  # only a process that died loses its claims, not a slow test machine


def webhooks_settings(
    database_url: str, amqp_url: str, jwt_public_key: str, **overrides: Any
) -> WebhooksSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "amqp_url": amqp_url,
        "jwt_public_key": jwt_public_key,
        "webhooks_allow_http_targets": True,  # the receivers are local, plain HTTP
        "webhooks_allow_private_targets": True,
        "retry_time_compression": TIME_COMPRESSION,
        "delivery_connect_timeout_seconds": 1.0,
        "delivery_timeout_seconds": ATTEMPT_TIMEOUT_SECONDS,
        "delivery_lease_seconds": LEASE_SECONDS,
        "delivery_poll_seconds": 0.05,
        "log_json": True,
        "outbox_poll_seconds": 0.2,
        "consumer_retry_delay_seconds": 0.05,
        **overrides,
    }
    return WebhooksSettings(**values)


async def start_webhooks(
    settings: WebhooksSettings, resolver: Resolver | None = None
) -> RunningServer:
    return await RunningServer(create_app(settings, resolver)).start()


async def webhooks_database(infra: Infrastructure, label: str) -> str:
    """A new, migrated database for a webhooks service (dropped by `drop_database`)."""
    url = await create_database(infra, f"lms_test_{infra.run_id}_webhooks_{label}")
    await asyncio.to_thread(migrate, "webhooks", url)
    return url


@asynccontextmanager
async def own_database_and_vhost(
    infra: Infrastructure, label: str
) -> AsyncIterator[tuple[str, str]]:
    """(database URL, AMQP URL) for a webhooks service apart from the run's: on the run's
    virtual host it would take the main service's events."""
    if infra.make_vhost is None or infra.drop_vhost is None:
        raise RuntimeError("The tests need rabbitmqctl to give each run its own virtual host.")
    vhost = f"lms-test-{infra.run_id}-{uuid.uuid4().hex[:6]}"
    await asyncio.to_thread(infra.make_vhost, vhost)
    database_url = await webhooks_database(infra, label)
    try:
        yield database_url, infra.vhost_url(vhost)
    finally:
        await drop_database(infra, f"lms_test_{infra.run_id}_webhooks_{label}")
        await asyncio.to_thread(infra.drop_vhost, vhost)


# --- A receiver -------------------------------------------------------------------------

HANG = "hang"  # answer only after the sender gave up (longer than its timeout)
Answer = int | str


@dataclass(frozen=True)
class Hit:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.perf_counter() on arrival
    answer: Answer

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value

    @property
    def accepted(self) -> bool:
        return isinstance(self.answer, int) and 200 <= self.answer < 300


@dataclass
class HookReceiver:
    """Answers 204 unless a path is scripted: `script("/x", 500, 500, 204)` answers the
    next requests to /x in that order (the last answer then repeats); `HANG` answers only
    after `hang_seconds`, long after the sender stopped waiting."""

    hits: list[Hit] = field(default_factory=list)
    scripts: dict[str, list[Answer]] = field(default_factory=dict)
    hang_seconds: float = ATTEMPT_TIMEOUT_SECONDS + 1

    def __post_init__(self) -> None:
        self._arrived = asyncio.Condition()
        self.server: RunningServer | None = None

    async def start(self) -> "HookReceiver":
        self.server = await RunningServer(self._app()).start()
        return self

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"{self.server.url}{path}"

    def script(self, path: str, *answers: Answer, user_id: object = None) -> None:
        """With `user_id`, only for the deliveries about that user."""
        self.scripts[_script_key(path, user_id)] = list(answers)

    def at(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path == path]

    def accepted(self, path: str) -> list[Hit]:
        return [hit for hit in self.at(path) if hit.accepted]

    async def wait_for(
        self, path: str, count: int = 1, within: float = 10.0, *, accepted: bool = True
    ) -> list[Hit]:
        """Until `count` requests to `path` arrived (answered 2xx unless `accepted=False`)."""

        def found() -> list[Hit]:
            return self.accepted(path) if accepted else self.at(path)

        async with self._arrived:
            try:
                await asyncio.wait_for(
                    self._arrived.wait_for(lambda: len(found()) >= count), within
                )
            except TimeoutError:
                raise AssertionError(
                    f"expected {count} requests to {path}, got {len(found())}"
                ) from None
        return found()

    def _next_answer(self, path: str, body: bytes) -> Answer:
        user_id = json.loads(body).get("user_id") if body.startswith(b"{") else None
        script = self.scripts.get(_script_key(path, user_id)) or self.scripts.get(path)
        if not script:
            return 204
        return script.pop(0) if len(script) > 1 else script[0]

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{path:path}")
        async def receive(path: str, request: Request) -> Response:
            body = await request.body()
            answer = self._next_answer(f"/{path}", body)
            hit = Hit(f"/{path}", dict(request.headers), body, time.perf_counter(), answer)
            async with self._arrived:
                self.hits.append(hit)
                self._arrived.notify_all()
            if answer == HANG:
                await asyncio.sleep(self.hang_seconds)
                return Response(status_code=204)
            assert isinstance(answer, int)
            return Response(status_code=answer)

        return app


def _script_key(path: str, user_id: object) -> str:
    return path if user_id is None else f"{path}#{user_id}"


# --- Acting on the API ------------------------------------------------------------------


def admin_token(
    private_key: str, tenant_id: uuid.UUID, permissions: frozenset[str] | None = None
) -> str:
    """An access token as the directory issues one to an administrator of `tenant_id`."""
    issuer = AccessTokenIssuer(
        private_key, issuer="lms-directory", audience="lms", ttl=timedelta(minutes=15)
    )
    granted = permissions if permissions is not None else frozenset({Permission.HOOKS_MANAGE})
    return issuer.issue(Principal(uuid.uuid4(), tenant_id, "admin", granted))


@dataclass
class Integration:
    """A tenant's administrator and an integration (Zapier) with its API key."""

    tenant_id: uuid.UUID
    admin: httpx.AsyncClient  # Authorization: Bearer <access token>
    client: httpx.AsyncClient  # X-API-Key: <key>
    key: dict[str, Any]  # as POST /api/v1/api-keys answered it

    async def subscribe(self, target_url: str, event: str) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/hooks", json={"target_url": target_url, "event": event}
        )
        assert response.status_code == 201, response.text
        hook: dict[str, Any] = response.json()
        return hook

    async def hook(self, hook_id: str) -> httpx.Response:
        return await self.client.get(f"/api/v1/hooks/{hook_id}")

    async def aclose(self) -> None:
        await self.admin.aclose()
        await self.client.aclose()


async def new_integration(
    base_url: str, private_key: str, tenant_id: uuid.UUID | None = None
) -> Integration:
    tenant = tenant_id or uuid.uuid4()
    admin = httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {admin_token(private_key, tenant)}"},
        timeout=30,
    )
    response = await admin.post("/api/v1/api-keys", json={"name": "Zapier"})
    assert response.status_code == 201, response.text
    key: dict[str, Any] = response.json()
    client = httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": key["key"]}, timeout=30)
    return Integration(tenant, admin, client, key)


# --- The service for the run (started by the root conftest) ------------------------------


@dataclass
class WebhooksStack:
    """The webhooks service on the run's bus, with a database of its own."""

    settings: WebhooksSettings
    server: RunningServer
    database: str
    private_key: str  # the directory's: signs the administrators' access tokens

    @property
    def url(self) -> str:
        return self.server.url

    async def stop(self, infra: Infrastructure) -> None:
        await self.server.stop()
        await drop_database(infra, self.database)


async def start_webhooks_stack(
    infra: Infrastructure, amqp_url: str, jwt_keys: tuple[str, str]
) -> WebhooksStack:
    url = await webhooks_database(infra, "main")
    settings = webhooks_settings(url, amqp_url, jwt_keys[1])
    server = await start_webhooks(settings)
    return WebhooksStack(settings, server, f"lms_test_{infra.run_id}_webhooks_main", jwt_keys[0])
