"""What only the audit needs on top of the root fixtures: a tenant seen from the rest of the
platform (`lms`), every API service running (discovered from `stack/services.py`), and
callers of every kind: anonymous, a learner, another tenant's administrator, forged tokens."""

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from services.directory.api.access_tokens import AccessTokenIssuer
from services.directory.app import create_app
from services.directory.settings import DirectorySettings
from shared.security.access_tokens import Principal
from shared.security.permissions import Permission
from stack.services import GATEWAY_CLIENTS, available
from tests.support.bounces import BouncesStack
from tests.support.bus import BusSpy, EventPublisher
from tests.support.directory import Lms, Tenant, directory_settings, migrate
from tests.support.exports import ExportsStack
from tests.support.infra import Infrastructure, create_database, drop_database
from tests.support.servers import RunningServer, free_port
from tests.support.webhooks import WebhooksStack


def api_service_names() -> list[str]:
    """Every service with an HTTP API of its own: all of stack/services.py's but the
    console, which calls the others through the gateway."""
    return [s.name for s in available() if s.name not in GATEWAY_CLIENTS]


@pytest.fixture
def lms(tenant: Tenant, bus: BusSpy, events: EventPublisher, amqp_url: str) -> Lms:
    return Lms(tenant, bus, events, amqp_url)


@pytest.fixture
def running(
    directory: RunningServer,
    invitations: RunningServer,
    bounces_stack: BouncesStack,
    webhooks_stack: WebhooksStack,
    exports_stack: ExportsStack,
) -> Callable[[str], RunningServer]:
    """Each API service, running (a root fixture). A service added to stack/services.py
    without a line here fails the audit rather than escaping it."""
    servers = {
        "directory": directory,
        "invitations": invitations,
        "bounces": bounces_stack.server,
        "webhooks": webhooks_stack.server,
        "exports": exports_stack.server,
    }

    def server(name: str) -> RunningServer:
        if name not in servers:
            pytest.fail(f"tests/security/conftest.py: say how the {name} service runs")
        return servers[name]

    return server


ALL_PERMISSIONS = frozenset(p.value for p in Permission)


@dataclass(frozen=True)
class Tokens:
    """Access tokens for tenant A's callers, genuine and forged."""

    private_key: str
    public_key: str

    def issue(self, principal: Principal, private_key: str | None = None) -> str:
        issuer = AccessTokenIssuer(
            private_key or self.private_key,
            issuer="lms-directory",
            audience="lms",
            ttl=timedelta(minutes=15),
        )
        return issuer.issue(principal)

    def admin(self, tenant_id: uuid.UUID, user_id: uuid.UUID | None = None) -> str:
        return self.issue(Principal(user_id or uuid.uuid4(), tenant_id, "admin", ALL_PERMISSIONS))

    def learner(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> str:
        return self.issue(Principal(user_id, tenant_id, "learner", frozenset()))

    def forged(self, tenant_id: uuid.UUID) -> dict[str, str]:
        """Tokens claiming to be tenant A's administrator that no service may accept."""
        genuine = self.admin(tenant_id)
        header, payload, signature = genuine.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        other_key = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        return {
            "alg none": jwt.encode(claims, "", algorithm="none"),
            "HS256 keyed with the public key": _hs256(claims, self.public_key),
            "signed by another key": self.issue(
                Principal(uuid.uuid4(), tenant_id, "admin", ALL_PERMISSIONS), other_key.decode()
            ),
            "claims edited, signature kept": ".".join(
                (header, _b64({**claims, "role": "owner"}), signature)
            ),
            "expired": _expired(self, tenant_id),
        }


def _b64(claims: dict[str, object]) -> str:
    raw = json.dumps(claims, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _hs256(claims: dict[str, object], public_key: str) -> str:
    header = _b64({"alg": "HS256", "typ": "JWT"})
    body = _b64(claims)
    mac = hmac.new(public_key.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}." + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _expired(tokens: Tokens, tenant_id: uuid.UUID) -> str:
    issuer = AccessTokenIssuer(
        tokens.private_key, issuer="lms-directory", audience="lms", ttl=timedelta(minutes=-5)
    )
    return issuer.issue(Principal(uuid.uuid4(), tenant_id, "admin", ALL_PERMISSIONS))


@pytest.fixture(scope="session")
def tokens(jwt_keys: tuple[str, str]) -> Tokens:
    return Tokens(*jwt_keys)


@dataclass
class OwnDirectory:
    """A directory of a test's own: its own database and virtual host (its job runner and
    consumers meet no other directory's), restartable with other settings on the same
    port, so that its clients and their sessions carry on."""

    database_url: str
    amqp_url: str
    private_key: str
    port: int
    settings: DirectorySettings | None = None
    server: RunningServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, **overrides: object) -> DirectorySettings:
        await self.stop()
        self.settings = directory_settings(
            self.database_url, self.amqp_url, self.private_key, **overrides
        )
        app = create_app(self.settings)
        self.server = await RunningServer(app, self.port, self.settings).start()
        return self.settings

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None


@asynccontextmanager
async def own_directory(
    infra: Infrastructure, amqp_url: str, private_key: str, name: str
) -> AsyncIterator[OwnDirectory]:
    database = f"lms_test_{infra.run_id}_{name}"
    url = await create_database(infra, database)
    own = OwnDirectory(url, amqp_url, private_key, free_port())
    try:
        await asyncio.to_thread(migrate, "directory", url)
        yield own
    finally:
        await own.stop()
        await drop_database(infra, database)
