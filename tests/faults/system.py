"""Every service with a database, two replicas of each, as real processes on one broker
virtual host, and a stream of work through them all: a tenant's admin invites users (the
directory), the e-mails go out (invitations), a provider reports half of them bounced
(bounces, its generic webhook), and a REST hook receives every `user.created` (webhooks).

The replica tests (SIGKILL midway) and the connection-budget tests (measured on a
PostgreSQL of their own) share it."""

import asyncio
import urllib.parse
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import asyncpg
import httpx

from tests.faults.support import (
    ServiceProcess,
    common_env,
    directory_env,
    invitations_env,
    new_service,
    running,
    service_database,
)
from tests.support.bounce_notices import Report, What, generic_request, new_generic_secret
from tests.support.bus import BusSpy
from tests.support.directory import Tenant, directory_settings, new_tenant
from tests.support.infra import Infrastructure
from tests.support.invitations import SmtpSink
from tests.support.keys import JWT_PRIVATE_KEY
from tests.support.webhooks import HookReceiver, new_integration

REPLICAS = 2
# Eight processes starting at once on a 2-core machine shared with other work.
STARTUP_SECONDS = 150
# Every service with a database.
SERVICES = ("directory", "invitations", "bounces", "webhooks", "exports")
EXPORTS = 8  # requested during the stream, half before the kill, half after
BOUNCE_SECRET = new_generic_secret()
# A killed replica's claims on hook deliveries are taken over after this.
DELIVERY_LEASE_SECONDS = 6
EXPORT_LEASE_SECONDS = 3  # an export job's, likewise
# Fewer SMTP sessions than the default: one local sink, a 2-core machine. A replica killed
# holds at most SEND_WORKERS × SEND_IN_FLIGHT e-mails handed to the server and not recorded.
SEND_WORKERS = 4
SEND_IN_FLIGHT = 2


@dataclass(frozen=True)
class Pooler:
    """How the services reach PostgreSQL: directly (port None) or through PgBouncer in
    transaction mode on `port`, LISTEN still direct."""

    port: int | None = None

    def environment(self, database_url: str) -> dict[str, str]:
        if self.port is None:
            return {}
        parts = urllib.parse.urlsplit(database_url)
        pooled = parts._replace(netloc=f"{parts.username}@127.0.0.1:{self.port}").geturl()
        return {
            "DATABASE_URL": pooled,
            "DATABASE_LISTEN_URL": database_url,
            "DB_BEHIND_PGBOUNCER": "true",
        }


def _env(
    service: str,
    database: str,
    amqp: str,
    smtp_port: int,
    export_dir: str,
    pooler: Pooler,
    port: int,
) -> dict[str, str]:
    if service == "directory":
        env = directory_env(database, amqp, port)
    elif service == "invitations":
        env = invitations_env(
            database,
            amqp,
            port,
            smtp_port,
            SEND_CONCURRENCY=str(SEND_WORKERS),
            SEND_IN_FLIGHT=str(SEND_IN_FLIGHT),
        )
    elif service == "bounces":
        env = {**common_env(database, amqp, port), "GENERIC_WEBHOOK_SECRET": BOUNCE_SECRET}
    elif service == "exports":
        env = {
            **common_env(database, amqp, port),
            "EXPORT_DIR": export_dir,  # the replicas share one machine's folder
            "EXPORT_LEASE_SECONDS": str(EXPORT_LEASE_SECONDS),
            "EXPORT_POLL_SECONDS": "0.2",
        }
    else:
        env = {
            **common_env(database, amqp, port),
            "WEBHOOKS_ALLOW_HTTP_TARGETS": "true",  # the receiver is local, plain HTTP
            "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
            "DELIVERY_CONNECT_TIMEOUT_SECONDS": "1",
            "DELIVERY_TIMEOUT_SECONDS": "2",
            "DELIVERY_LEASE_SECONDS": str(DELIVERY_LEASE_SECONDS),
            "DELIVERY_POLL_SECONDS": "0.2",
        }
    return {**env, **pooler.environment(database)}


@dataclass
class System:
    replicas: dict[str, list[ServiceProcess]]
    databases: dict[str, str]  # direct URLs
    amqp_url: str
    smtp: SmtpSink
    export_dir: Path

    def all(self) -> list[ServiceProcess]:
        return [process for processes in self.replicas.values() for process in processes]


@asynccontextmanager
async def replicated_system(
    infra: Infrastructure, amqp_url: str, logs: Path, pooler: Pooler = Pooler()
) -> AsyncIterator[System]:
    """Two replicas of every service, started and healthy; stopped on the way out."""
    async with AsyncExitStack() as stack:
        smtp = await SmtpSink().start()
        stack.push_async_callback(smtp.stop)
        databases = {
            name: await stack.enter_async_context(service_database(infra, name))
            for name in SERVICES
        }
        export_dir = logs / "exports"
        export_dir.mkdir()
        replicas = {
            name: [
                new_service(
                    name,
                    partial(
                        _env, name, databases[name], amqp_url, smtp.port, str(export_dir), pooler
                    ),
                    logs,
                )
                for _ in range(REPLICAS)
            ]
            for name in SERVICES
        }
        system = System(replicas, databases, amqp_url, smtp, export_dir)
        await stack.enter_async_context(running(*system.all()))
        for process in system.all():
            await process.healthy(within=STARTUP_SECONDS)
        for process in system.all():
            await process.broker_connected()
        yield system


@dataclass
class Stream:
    """The work: `users` invitations from 8 admins at once (alternating directory
    replicas); every other address bounced by the provider, each report posted to one
    bounces replica and, if it can't answer, to the other (a provider's retry)."""

    system: System
    receiver: HookReceiver
    users: int
    tenant: Tenant | None = None
    invited: list[str] = field(default_factory=list)
    reports: dict[str, Report] = field(default_factory=dict)  # by address
    posted: int = 0  # reports a bounces replica answered 200
    export_ids: list[str] = field(default_factory=list)
    access_token: str = ""  # the admin's, for the exports API
    # Its own path on the session's shared receiver: other tests' streams post there too.
    hook_path: str = field(default_factory=lambda: f"/created/{uuid.uuid4().hex[:8]}")

    def addresses(self) -> list[str]:
        run = uuid.uuid4().hex[:6]
        kinds = ("bounce", "keep")
        return [f"{kinds[n % 2]}-{n}-{run}@example.com" for n in range(self.users)]

    async def prepare(self) -> None:
        directory = self.system.replicas["directory"][0]
        # Directly to PostgreSQL, as an operator's CLI runs (never through PgBouncer).
        settings = directory_settings(
            self.system.databases["directory"], self.system.amqp_url, JWT_PRIVATE_KEY
        )
        self.tenant = await new_tenant(settings, directory.url)
        token = await self.tenant.admin.post("/api/v1/auth/token")
        self.access_token = token.json()["access_token"]
        webhooks = self.system.replicas["webhooks"][0]
        integration = await new_integration(webhooks.url, JWT_PRIVATE_KEY, self.tenant.id)
        try:
            await integration.subscribe(self.receiver.url(self.hook_path), "user.created")
        finally:
            await integration.aclose()

    async def run(self, midway: Callable[[], Awaitable[None]] | None = None) -> None:
        """Invites everyone and reports the bounces as the e-mails arrive; `midway` is
        called once a third of the e-mails went out."""
        assert self.tenant is not None
        bouncing = asyncio.create_task(self._report_bounces())
        inviting = asyncio.create_task(self._invite_all(self.addresses()))
        try:
            await self._request_exports(EXPORTS // 2)
            if midway is not None:
                await self._when_mailed(self.users // 3)
                await midway()
            await self._request_exports(EXPORTS - EXPORTS // 2)
            await inviting
            await self._when_mailed(self.users, within=90, nudge=True)
            await self._until_reported(bouncing)
            await self._when_recorded()
        finally:
            for task in (bouncing, inviting):
                task.cancel()
            await asyncio.gather(bouncing, inviting, return_exceptions=True)

    async def _request_exports(self, count: int) -> None:
        """CSV and XLSX in turn, to one exports replica or, when it can't answer, the other."""
        urls = [process.url for process in self.system.replicas["exports"]]
        async with httpx.AsyncClient(
            timeout=30, headers={"Authorization": f"Bearer {self.access_token}"}
        ) as admin:
            for n in range(count):
                body = {"format": ("csv", "xlsx")[n % 2]}
                self.export_ids.append(await _first_answer(admin, urls, n, body))

    async def _invite_all(self, addresses: list[str]) -> None:
        assert self.tenant is not None
        cookies = self.tenant.admin.cookies
        clients = [
            httpx.AsyncClient(base_url=process.url, cookies=cookies, timeout=30)
            for process in self.system.replicas["directory"]
        ]
        queue: asyncio.Queue[str] = asyncio.Queue()
        for address in addresses:
            queue.put_nowait(address)

        async def admin(client: httpx.AsyncClient) -> None:
            while not queue.empty():
                address = queue.get_nowait()
                body = {"email": address, "first_name": "Léa", "last_name": "Roy"}
                response = await client.post("/api/v1/users/invitations", json=body)
                assert response.status_code == 201, response.text
                self.invited.append(address)

        try:
            await asyncio.gather(*(admin(clients[n % len(clients)]) for n in range(8)))
        finally:
            for client in clients:
                await client.aclose()

    def mailed(self) -> set[str]:
        return {r.lower() for mail in self.system.smtp.received for r in mail.recipients}

    async def _when_mailed(self, count: int, within: float = 60, nudge: bool = False) -> None:
        """Until `count` users got their e-mail. With `nudge`, the claims a killed replica
        left are made due once nothing else moves (as its lease running out would)."""
        idle_since, last = asyncio.get_running_loop().time(), -1
        async with asyncio.timeout(within):
            while len(self.mailed()) < count:
                now = asyncio.get_running_loop().time()
                if len(self.mailed()) != last:
                    idle_since, last = now, len(self.mailed())
                elif nudge and now - idle_since > 3:
                    await _lease_runs_out(self.system.databases["invitations"])
                    idle_since = now
                await asyncio.sleep(0.2)

    async def _when_recorded(self, within: float = 60) -> None:
        """Until no e-mail is left claimed and unrecorded. One the killed replica handed to
        the SMTP server but did not record is in the sink, so its bounce was reported, but
        its `invitation.sent` waits for the claim to run out (SEND_LEASE_SECONDS, 10
        minutes): until then bounces keeps the notice unmatched, as it must (nothing says
        which tenant it is about). Once nothing moves, the claim is made due, as its lease
        running out would: the same message goes out again and is recorded."""
        connection = await asyncpg.connect(self.system.databases["invitations"])
        query = "SELECT count(*) FROM deliveries WHERE state = 'sending'"
        try:
            loop = asyncio.get_running_loop()
            idle_since, last = loop.time(), -1
            async with asyncio.timeout(within):
                while claimed := int(await connection.fetchval(query)):
                    if claimed != last:
                        idle_since, last = loop.time(), claimed
                    elif loop.time() - idle_since > 3:
                        await _lease_runs_out(self.system.databases["invitations"])
                        idle_since = loop.time()
                    await asyncio.sleep(0.2)
        finally:
            await connection.close()

    async def _report_bounces(self) -> None:
        urls = [process.url for process in self.system.replicas["bounces"]]
        turn = 0
        while True:
            for mail in list(self.system.smtp.received):
                [address] = mail.recipients
                if address.startswith("bounce-") and address not in self.reports:
                    report = Report(What.HARD_BOUNCE, address, str(mail.message["Message-ID"]))
                    self.reports[address] = report
                    await _post_bounce(report, urls[turn % 2 :] + urls[: turn % 2])
                    self.posted += 1
                    turn += 1
            await asyncio.sleep(0.1)

    async def _until_reported(self, bouncing: asyncio.Task[None]) -> None:
        wanted = (self.users + 1) // 2
        async with asyncio.timeout(60):
            while self.posted < wanted:
                if bouncing.done():
                    bouncing.result()  # its failure, said
                await asyncio.sleep(0.1)


async def _first_answer(
    admin: httpx.AsyncClient, urls: list[str], turn: int, body: dict[str, str]
) -> str:
    for url in urls[turn % 2 :] + urls[: turn % 2]:
        try:
            started = await admin.post(f"{url}/api/v1/exports", json=body)
        except httpx.TransportError:
            continue
        assert started.status_code == 202, started.text
        job_id: str = started.json()["id"]
        return job_id
    raise AssertionError("no exports replica answered")


async def exports_done(system: System, export_ids: list[str]) -> dict[str, str]:
    """Each export's state once none is queued or running (read in its database)."""
    connection = await asyncpg.connect(system.databases["exports"])
    try:
        async with asyncio.timeout(60):
            while True:
                rows = await connection.fetch(
                    "SELECT id::text, state FROM export_jobs WHERE id = any($1::uuid[])",
                    export_ids,
                )
                states = {row["id"]: str(row["state"]) for row in rows}
                if len(states) == len(export_ids) and all(
                    state in ("done", "failed") for state in states.values()
                ):
                    return states
                await asyncio.sleep(0.2)
    finally:
        await connection.close()


def export_events(spy: BusSpy) -> dict[str, set[str]]:
    """The distinct `export.completed` events published for each export."""
    found: dict[str, set[str]] = defaultdict(set)
    for seen in spy.matching("export.completed"):
        found[str(seen.body.get("subject"))].add(str(seen.message_id))
    return found


async def _post_bounce(report: Report, urls: list[str]) -> None:
    """To the first replica that answers 200, as a provider retries a failed request."""
    signed = generic_request([report], BOUNCE_SECRET)
    async with httpx.AsyncClient(timeout=10) as provider:
        for _ in range(20):
            for url in urls:
                try:
                    response = await provider.post(
                        f"{url}/webhooks/email/generic", content=signed.body, headers=signed.headers
                    )
                except httpx.TransportError:
                    continue
                if response.status_code == 200:
                    return
            await asyncio.sleep(0.5)
    raise AssertionError(f"no bounces replica took the report for {report.address}")


async def _lease_runs_out(database: str) -> None:
    connection = await asyncpg.connect(database)
    try:
        await connection.execute(
            "UPDATE deliveries SET next_attempt_at = now()"
            " WHERE state = 'sending' AND next_attempt_at > now()"
        )
    finally:
        await connection.close()


# --- What happened, as an operator checks it ---------------------------------------------


def emails_per_user(smtp: SmtpSink) -> dict[str, set[str]]:
    """The distinct Message-IDs each address received."""
    found: dict[str, set[str]] = defaultdict(set)
    for mail in smtp.received:
        for recipient in mail.recipients:
            found[recipient.lower()].add(str(mail.message["Message-ID"]))
    return found


def copies(smtp: SmtpSink) -> Counter[str]:
    return Counter(str(mail.message["Message-ID"]) for mail in smtp.received)


def bounce_events(spy: BusSpy) -> dict[str, set[str]]:
    """The distinct events published for each provider report."""
    found: dict[str, set[str]] = defaultdict(set)
    for seen in spy.matching("email.bounced"):
        found[str(seen.data.get("provider_event_id"))].add(str(seen.message_id))
    return found


def deliveries_per_user(stream: Stream) -> dict[str, set[str]]:
    """The distinct webhook-ids each user's `user.created` arrived with."""
    found: dict[str, set[str]] = defaultdict(set)
    for hit in stream.receiver.accepted(stream.hook_path):
        found[str(hit.payload["user_id"])].add(hit.webhook_id)
    return found


async def bounced_users(directory_database: str) -> int:
    connection = await asyncpg.connect(directory_database)
    try:
        query = "SELECT count(*) FROM users WHERE email_state = 'bounced'"
        return int(await connection.fetchval(query))
    finally:
        await connection.close()
