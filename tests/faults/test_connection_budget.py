"""Two replicas of every service against one PostgreSQL with the default
`max_connections` (100), under the replica tests' stream of work: how many connections
they hold at the worst moment (pg_stat_activity, sampled), against the budget
docs/operations.md gives each service; and the same work through PgBouncer in
transaction mode (LISTEN on direct connections), which must change nothing but the
number of server connections."""

import asyncio
from pathlib import Path

import asyncpg

from tests.faults.support import report
from tests.faults.system import (
    REPLICAS,
    SERVICES,
    Pooler,
    Stream,
    System,
    bounced_users,
    deliveries_per_user,
    emails_per_user,
    replicated_system,
)
from tests.support.infra import Infrastructure
from tests.support.postgres_servers import DEFAULT_MAX_CONNECTIONS, pgbouncer
from tests.support.webhooks import HookReceiver

USERS = 60
# At most, per process, with the default settings (docs/operations.md, "Connection budget"):
# the pool (DB_POOL_SIZE 3 + DB_MAX_OVERFLOW 3), a sender's own pool, one LISTEN each.
PER_PROCESS = {
    "directory": 3 + 3 + 1,  # + the outbox relay's LISTEN
    "invitations": 3 + 3 + 2 + 2,  # + SEND_DB_POOL_SIZE, LISTEN for the outbox and sending
    "bounces": 5 + 1 + 1,  # its pool keeps 5 (its group commits), overflow 1
    "webhooks": 3 + 3 + 2 + 2,  # + the sender's 2, LISTEN for the outbox and deliveries
    # + per builder (EXPORT_CONCURRENCY 1): its LISTEN and the connection its rows stream on
    "exports": 3 + 3 + 1 + 2,
}
# Kept free: PostgreSQL's superuser_reserved_connections (3), migrations, an operator's psql.
RESERVED = 3 + 10


class ConnectionSampler:
    """The client connections on the server, every 50 ms: the worst moment is kept."""

    def __init__(self, server_url: str) -> None:
        self._url = server_url
        self.peak = 0
        self.peak_by_database: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> "ConnectionSampler":
        self._connection = await asyncpg.connect(self._url)
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            rows = await self._connection.fetch(
                "SELECT datname, count(*) AS n FROM pg_stat_activity"
                " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
                " GROUP BY datname"
            )
            by_database = {str(row["datname"]): int(row["n"]) for row in rows}
            if sum(by_database.values()) > self.peak:
                self.peak, self.peak_by_database = sum(by_database.values()), by_database
            await asyncio.sleep(0.05)

    def per_service(self, system: System) -> dict[str, int]:
        names = {url.rsplit("/", 1)[1]: service for service, url in system.databases.items()}
        return {names.get(db, db): n for db, n in self.peak_by_database.items()}

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._connection.close()


def test_the_budget_of_two_replicas_of_every_service_fits_the_default_server() -> None:
    planned = REPLICAS * sum(PER_PROCESS.values())
    assert set(PER_PROCESS) == set(SERVICES)
    assert planned + RESERVED <= DEFAULT_MAX_CONNECTIONS, planned


async def test_two_replicas_of_every_service_under_work_stay_within_their_budget(
    own_server: Infrastructure, private_vhost: str, hook_receiver: HookReceiver, tmp_path: Path
) -> None:
    async with replicated_system(own_server, private_vhost, tmp_path) as system:
        sampler = await ConnectionSampler(own_server.postgres_url).start()
        try:
            await _work(system, hook_receiver)
        finally:
            await sampler.stop()
        measured = sampler.per_service(system)
        report("connection budget", peak=sampler.peak, per_database=measured)
        refused = [p.name for p in system.all() if p.lines_with("too many clients")]
        assert refused == []
        for service, limit in PER_PROCESS.items():
            assert measured.get(service, 0) <= REPLICAS * limit, (service, measured)
        assert sampler.peak <= DEFAULT_MAX_CONNECTIONS - RESERVED


async def test_every_service_works_behind_pgbouncer_in_transaction_mode(
    own_server: Infrastructure, private_vhost: str, hook_receiver: HookReceiver, tmp_path: Path
) -> None:
    async with (
        pgbouncer(own_server.postgres_url, pool_size=4) as port,
        replicated_system(own_server, private_vhost, tmp_path, Pooler(port)) as system,
    ):
        sampler = await ConnectionSampler(own_server.postgres_url).start()
        try:
            await _work(system, hook_receiver)
        finally:
            await sampler.stop()
        report("behind pgbouncer", server_connections_peak=sampler.peak)
        errors = [
            (p.name, line.get("event"))
            for p in system.all()
            for line in p.records()
            if line.get("level") in ("error", "critical")
        ]
        assert errors == []
        assert [p.name for p in system.all() if p.lines_with("parked")] == []


async def _work(system: System, receiver: HookReceiver) -> None:
    """The stream, and every effect of it checked (once each)."""
    stream = Stream(system, receiver, USERS)
    await stream.prepare()
    await stream.run()
    async with asyncio.timeout(60):
        while len(deliveries_per_user(stream)) < USERS:
            await asyncio.sleep(0.2)
    async with asyncio.timeout(60):
        while await bounced_users(system.databases["directory"]) < len(stream.reports):
            await asyncio.sleep(0.2)
    per_user = emails_per_user(system.smtp)
    assert set(per_user) == {address.lower() for address in stream.invited}
    assert all(len(ids) == 1 for ids in per_user.values())
    assert all(len(ids) == 1 for ids in deliveries_per_user(stream).values())
