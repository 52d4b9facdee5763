"""Running the exports service for tests: its settings, a user snapshot as the directory
sends one, acting as an administrator (an access token), and waiting for a job. The root
conftest starts the service for the run (`exports_stack`)."""

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from services.directory.api.access_tokens import AccessTokenIssuer
from services.exports.app import create_app
from services.exports.settings import ExportsSettings
from shared.contracts.users import (
    CustomFieldValue,
    EmailSummary,
    GroupRef,
    InvitationState,
    InvitationSummary,
    UserSnapshot,
    UserStatus,
)
from shared.security.access_tokens import Principal
from shared.security.permissions import Permission
from tests.support.bounces import connected
from tests.support.directory import migrate
from tests.support.infra import Infrastructure, create_database, drop_database
from tests.support.servers import RunningServer

EXPORTER = frozenset({Permission.EXPORTS_CREATE.value, Permission.USERS_READ.value})


def exports_settings(
    database_url: str, amqp_url: str, jwt_public_key: str, export_dir: Path, **overrides: Any
) -> ExportsSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "amqp_url": amqp_url,
        "jwt_public_key": jwt_public_key,
        "export_dir": export_dir,
        "export_poll_seconds": 0.2,
        "export_lease_seconds": 30.0,
        "export_expiry_scan_seconds": 0.2,
        "log_json": True,
        "outbox_poll_seconds": 0.2,
        "consumer_retry_delay_seconds": 0.05,
        **overrides,
    }
    return ExportsSettings(**values)


async def exports_database(infra: Infrastructure, label: str) -> str:
    url = await create_database(infra, f"lms_test_{infra.run_id}_exports_{label}")
    await asyncio.to_thread(migrate, "exports", url)
    return url


@dataclass
class ExportsStack:
    settings: ExportsSettings
    server: RunningServer
    sql: asyncpg.Pool  # the exports database, to look at the projection and the jobs
    private_key: str  # the directory's, signing administrators' access tokens
    label: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def export_dir(self) -> Path:
        return self.settings.export_dir

    def admin(
        self,
        tenant_id: uuid.UUID,
        user_id: uuid.UUID | None = None,
        permissions: frozenset[str] = EXPORTER,
    ) -> httpx.AsyncClient:
        token = admin_token(self.private_key, tenant_id, user_id or uuid.uuid4(), permissions)
        return httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    async def projected(self, tenant_id: uuid.UUID) -> int:
        count: int = await self.sql.fetchval(
            "SELECT count(*) FROM export_users WHERE tenant_id = $1", tenant_id
        )
        return count

    async def wait_projected(self, tenant_id: uuid.UUID, count: int, within: float = 15) -> None:
        await until(lambda: self.projected(tenant_id), lambda n: n >= count, within)

    async def stop(self, infra: Infrastructure) -> None:
        await self.server.stop()
        await self.sql.close()
        await drop_database(infra, f"lms_test_{infra.run_id}_exports_{self.label}")


async def start_exports_stack(
    infra: Infrastructure,
    amqp_url: str,
    jwt_keys: tuple[str, str],
    export_dir: Path,
    label: str = "main",
    **overrides: Any,
) -> ExportsStack:
    database_url = await exports_database(infra, label)
    settings = exports_settings(database_url, amqp_url, jwt_keys[1], export_dir, **overrides)
    server = await RunningServer(create_app(settings)).start()
    await connected(server)
    sql = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    return ExportsStack(settings, server, sql, jwt_keys[0], label)


def admin_token(
    private_key: str, tenant_id: uuid.UUID, user_id: uuid.UUID, permissions: frozenset[str]
) -> str:
    issuer = AccessTokenIssuer(
        private_key, issuer="lms-directory", audience="lms", ttl=timedelta(minutes=15)
    )
    return issuer.issue(Principal(user_id, tenant_id, "admin", permissions))


async def until(probe: Callable[[], Any], done: Callable[[Any], bool], within: float = 15) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await probe()
        if done(value) or asyncio.get_running_loop().time() > deadline:
            assert done(value), f"still {value!r} after {within} s"
            return value
        await asyncio.sleep(0.1)


async def export_and_wait(
    client: httpx.AsyncClient, body: dict[str, Any], within: float = 60
) -> dict[str, Any]:
    """Request an export and wait for it to end; the job as the API shows it then."""
    started = await client.post("/api/v1/exports", json=body)
    assert started.status_code == 202, started.text
    return await wait_for_job(client, started.json()["id"], within)


async def wait_for_job(
    client: httpx.AsyncClient, job_id: str, within: float = 60
) -> dict[str, Any]:
    async def job() -> dict[str, Any]:
        answer = await client.get(f"/api/v1/exports/{job_id}")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    ended: dict[str, Any] = await until(job, lambda j: j["state"] in ("done", "failed"), within)
    return ended


def read_csv(content: bytes, delimiter: str = ";") -> list[list[str]]:
    assert content.startswith("\ufeff".encode()), "UTF-8 with a BOM"
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


@dataclass
class SnapshotMaker:
    """User snapshots of one tenant, as the directory's events carry them."""

    tenant_id: uuid.UUID
    groups: dict[str, uuid.UUID] = field(default_factory=dict)

    def group(self, name: str) -> GroupRef:
        return GroupRef(id=self.groups.setdefault(name, uuid.uuid4()), name=name)

    def user(self, **changes: Any) -> UserSnapshot:
        now = datetime.now(UTC)
        user_id = changes.pop("id", uuid.uuid4())
        values: dict[str, Any] = {
            "id": user_id,
            "tenant_id": self.tenant_id,
            "email": f"user-{str(user_id)[:8]}@example.com",
            "first_name": "Marie",
            "last_name": "Tremblay",
            "phone": None,
            "locale": "fr",
            "role": "learner",
            "status": UserStatus.INVITED,
            "groups": [self.group(name) for name in changes.pop("group_names", [])],
            "custom_fields": [
                CustomFieldValue(key=k, label=k.title(), type=t, value=v, position=p)
                for p, (k, t, v) in enumerate(changes.pop("fields", []))
            ],
            "invitation": InvitationSummary(state=InvitationState.PENDING),
            "email_status": EmailSummary(),
            "deactivation": None,
            "activated_at": None,
            "last_login_at": None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
            **changes,
        }
        return UserSnapshot(**values)


@asynccontextmanager
async def own_database_and_vhost(
    infra: Infrastructure, label: str
) -> AsyncIterator[tuple[str, str]]:
    """(database URL, AMQP URL) for exports services apart from the run's one: their workers
    must not share the run's job queue, nor their consumers its events."""
    if infra.make_vhost is None or infra.drop_vhost is None:
        raise RuntimeError("The tests need rabbitmqctl to give each run its own virtual host.")
    vhost = f"lms-test-{infra.run_id}-{uuid.uuid4().hex[:6]}"
    await asyncio.to_thread(infra.make_vhost, vhost)
    database_url = await exports_database(infra, label)
    try:
        yield database_url, infra.vhost_url(vhost)
    finally:
        await drop_database(infra, f"lms_test_{infra.run_id}_exports_{label}")
        await asyncio.to_thread(infra.drop_vhost, vhost)


async def insert_users(database_url: str, tenant_id: uuid.UUID, count: int) -> None:
    """`count` users straight into the projection (as if their snapshots had arrived)."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            """
            INSERT INTO export_users (tenant_id, id, version, first_name, last_name, email,
                email_normalized, phone, locale, role, status, groups, group_ids,
                invitation_state, email_state, created_at, custom_fields)
            SELECT $1, gen_random_uuid(), 1, 'Prénom ' || n, 'Nom ' || n,
                'user' || n || '@example.com', 'user' || n || '@example.com', NULL, 'fr',
                'learner', 'invited', ARRAY['Groupe'], ARRAY[]::uuid[], 'pending', 'ok',
                now() - n * interval '1 minute', '{}'::jsonb
            FROM generate_series(1, $2) AS n
            """,
            tenant_id,
            count,
        )
    finally:
        await connection.close()


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
