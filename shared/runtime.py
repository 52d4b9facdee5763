"""One service process: its database, its broker connection, its consumers, its outbox
relay and its background workers, started and stopped in the right order.

Every service builds a `ServiceRuntime` in its composition root; `create_service_app`
starts it in the FastAPI lifespan, so an HTTP API, its consumers and its workers share
one process. The service serves HTTP at once, even while RabbitMQ is away: the broker is
connected in the background, retried as it is at runtime, and events wait in the outbox.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from faststream.rabbit import Channel, RabbitBroker
from sqlalchemy import func, select
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from shared.db import Database
from shared.logging import get_logger
from shared.messaging.consumer import EventConsumer, EventHandler, RetryPolicy
from shared.messaging.housekeeping import purge_old_messages
from shared.messaging.outbox import OutboxRelay, backlog
from shared.messaging.publisher import EventPublisher
from shared.messaging.retired import retire_replaced_queue
from shared.messaging.tables import OUTBOX_CHANNEL
from shared.messaging.topology import ConsumerQueue, declare_topology
from shared.metrics import BROKER_CONNECTED, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE
from shared.migrations import current_revision, head_revision
from shared.settings import ProcessSettings, ServiceSettings
from shared.unit_of_work import UnitOfWork, UnitOfWorkFactory, unit_of_work
from shared.wakeup import Wakeup
from shared.workers import Background, Worker, periodic

log = get_logger(__name__)

HOUSEKEEPING_INTERVAL = timedelta(minutes=10)
# Kept from the shutdown budget for what follows the flush: its last batch, closing the
# connections, the process exit.
STOP_RESERVE_SECONDS = 1.0
# The advisory lock under which a service's replicas declare their queues in turn.
TOPOLOGY_LOCK = func.hashtextextended("broker-topology", 0)


@dataclass(frozen=True)
class Readiness:
    database: bool
    migrations: str  # "current", "behind (…)" or "unknown"
    broker: bool

    @property
    def ready(self) -> bool:
        """Ready for HTTP traffic: the API works through a broker outage (events wait
        in the outbox), so the broker is reported, not required."""
        return self.database and self.migrations == "current"


class ServiceRuntime:
    def __init__(
        self,
        name: str,
        settings: ServiceSettings,
        subscriptions: Mapping[ConsumerQueue, Mapping[str, EventHandler]],
        *,
        migrations: Path,
        unit_of_work_factory: UnitOfWorkFactory = UnitOfWork,
    ) -> None:
        self.name = name
        self.settings = settings
        self.unit_of_work_factory = unit_of_work_factory
        self.db = Database(
            settings.sqlalchemy_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            behind_pgbouncer=settings.db_behind_pgbouncer,
        )
        self.broker = RabbitBroker(
            settings.amqp_url,
            logger=logging.getLogger(f"{name}.broker"),
            log_level=logging.DEBUG,
            default_channel=Channel(prefetch_count=settings.consumer_prefetch),
            graceful_timeout=settings.shutdown_timeout_seconds / 2,
        )
        retry = RetryPolicy(settings.consumer_max_attempts, settings.consumer_retry_delay_seconds)
        self.consumers = [
            EventConsumer(
                queue,
                handlers,
                self.db,
                retry,
                service=name,
                unit_of_work_factory=unit_of_work_factory,
            )
            for queue, handlers in subscriptions.items()
        ]
        for consumer in self.consumers:
            consumer.register(self.broker)
        self.publisher = EventPublisher(
            settings.amqp_url,
            timeout_seconds=settings.publish_timeout_seconds,
            max_in_flight=settings.publish_max_in_flight,
        )
        self.relay = OutboxRelay(
            self.db,
            self.publisher,
            service=name,
            batch_size=settings.outbox_batch_size,
            max_backoff_seconds=settings.outbox_max_backoff_seconds,
        )
        self._relay_worker = self.relay.worker(
            Wakeup(settings.listen_dsn, OUTBOX_CHANNEL, settings.outbox_poll_seconds)
        )
        self._housekeeping = Worker(
            "housekeeping",
            periodic(self._purge),
            service=name,
            idle_seconds=HOUSEKEEPING_INTERVAL.total_seconds(),
        )
        self.workers: list[Background] = []
        self._head = head_revision(migrations)
        self._connector: asyncio.Task[None] | None = None

    def add_worker(self, worker: Background) -> None:
        """A background worker of the service, started and stopped with it."""
        self.workers.append(worker)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with unit_of_work(self.db, self.unit_of_work_factory) as uow:
            yield uow

    @property
    def queues(self) -> tuple[ConsumerQueue, ...]:
        return tuple(consumer.queue for consumer in self.consumers)

    async def start(self) -> None:
        for worker in (self._relay_worker, self._housekeeping, *self.workers):
            worker.start()
        self._connector = asyncio.create_task(self._connect_broker(), name="broker-connect")
        log.info("service started", consumers=[q.name for q in self.queues])

    async def _connect_broker(self) -> None:
        """Connect the consumers, then the publisher, each retried until the broker answers.
        Once connected, both reconnect by themselves after an outage (aio-pika robust)."""
        await self._until_connected(self._start_consumers)
        await self._until_connected(self.publisher.connect)
        log.info("connected to the broker")

    async def _start_consumers(self) -> None:
        """Declare the queues and start consuming, one replica at a time.

        RabbitMQ answers the declaration of a quorum queue that another connection is
        still creating as if the queue were ready; a consumer on it then gets its
        connection closed (541 INTERNAL_ERROR, `noproc`). Replicas of a service share its
        database, so a transaction-scoped advisory lock there (it holds behind a
        transaction pooler too) lets the first finish creating them before the next looks."""
        await self.broker.connect()
        async with self.db.transaction() as session:
            await session.execute(select(func.pg_advisory_xact_lock(TOPOLOGY_LOCK)))
            await declare_topology(self.broker, self.queues)
            for consumer in self.consumers:  # what a replaced queue still holds goes first
                await retire_replaced_queue(self.settings.amqp_url, consumer)
            await self.broker.start()

    async def _until_connected(self, connect: Callable[[], Awaitable[None]]) -> None:
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=0.5, max=30),
            retry=retry_if_exception_type(Exception),
            before_sleep=self._log_broker_unreachable,
        )
        async for attempt in retrying:
            with attempt:
                await connect()

    def _log_broker_unreachable(self, state: object) -> None:
        attempt = getattr(state, "attempt_number", 1)
        if attempt == 1:
            outcome = getattr(state, "outcome", None)
            error = outcome.exception() if outcome is not None else None
            log.warning("broker unreachable; serving anyway, retrying", error=repr(error))

    async def stop(self) -> None:
        """Stop taking messages, let in-flight work finish, publish what is pending, all
        within `shutdown_timeout_seconds`.

        In that order because each step may write events the next one publishes. Every
        step gets what the ones before it left of one deadline (fixed shares added up to
        more than the budget); the relay is only cancelled when the deadline has passed,
        as a cancelled batch is one whose confirmed events get published again."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.shutdown_timeout_seconds

        def left(share: float = 1.0) -> float:
            return max(0.0, (deadline - loop.time()) * share)

        if self._connector is not None:
            self._connector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connector
        await self.broker.stop()  # consumers finish the message in hand (graceful_timeout)
        await asyncio.gather(
            *(w.stop(left(0.6)) for w in self.workers), self._housekeeping.stop(1.0)
        )
        await self._relay_worker.stop(left(0.9))
        await self.relay.flush(left() - STOP_RESERVE_SECONDS)
        await self.publisher.stop()
        await self.db.dispose()

    async def readiness(self) -> Readiness:
        database, migrations = False, "unknown"
        try:
            async with self.db.transaction() as session:
                current = await current_revision(session)
            database = True
            migrations = "current" if current == self._head else f"behind ({current})"
        except Exception as error:
            log.info("database not ready", error=repr(error))
        return Readiness(database, migrations, await self.broker_connected())

    async def broker_connected(self) -> bool:
        if not self.publisher.connected:
            return False
        with contextlib.suppress(Exception):
            return bool(await self.broker.ping(timeout=1.0))
        return False

    async def refresh_gauges(self) -> None:
        """Read the figures that live in the database, for a scrape of /metrics."""
        BROKER_CONNECTED.labels(self.name).set(1 if await self.broker_connected() else 0)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2), self.db.transaction() as session:
                count, oldest = await backlog(session)
            OUTBOX_BACKLOG.labels(self.name).set(count)
            OUTBOX_OLDEST_AGE.labels(self.name).set(oldest)

    async def _purge(self) -> None:
        retention = timedelta(days=self.settings.outbox_retention_days)
        removed = await purge_old_messages(self.db, retention)
        if removed:
            log.info("purged old outbox and inbox rows", removed=removed)


@dataclass(frozen=True)
class DependencyReadiness:
    """Readiness of a service with no database: whether each thing it depends on answers."""

    dependencies: dict[str, bool]
    required: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return all(self.dependencies.get(name, False) for name in self.required)


ReadinessCheck = Callable[[], Awaitable[DependencyReadiness]]


class StatelessRuntime:
    """The runtime of a service that holds no data: no database, no broker, no outbox
    (the admin console, a client of the other services' HTTP APIs). It has what
    `create_service_app` needs: start/stop hooks, a readiness check, no gauges."""

    def __init__(
        self,
        name: str,
        settings: ProcessSettings,
        readiness: ReadinessCheck,
        *,
        on_stop: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> None:
        self.name = name
        self.settings = settings
        self._readiness = readiness
        self._on_stop = list(on_stop)

    async def start(self) -> None:
        log.info("service started (no database, no broker)")

    async def stop(self) -> None:
        for close in self._on_stop:
            await close()

    async def readiness(self) -> DependencyReadiness:
        return await self._readiness()

    async def refresh_gauges(self) -> None:
        """Nothing of its own to measure beyond the HTTP metrics."""


# What `create_service_app` runs: a service with its database and broker, or one without.
AnyRuntime = ServiceRuntime | StatelessRuntime
