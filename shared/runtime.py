"""One service process: its database, its broker connection, its consumers and its outbox relay.

Every service builds a `ServiceRuntime` in its composition root and starts it in its
FastAPI lifespan, so an HTTP API and its message consumers share one process.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from faststream.rabbit import Channel, RabbitBroker

from shared.db import Database, asyncpg_dsn
from shared.logging import get_logger
from shared.messaging.consumer import EventConsumer, EventHandler, RetryPolicy
from shared.messaging.housekeeping import purge_old_messages
from shared.messaging.outbox import OutboxRelay
from shared.messaging.publisher import EventPublisher
from shared.messaging.topology import ConsumerQueue, declare_topology
from shared.settings import ServiceSettings

log = get_logger(__name__)

HOUSEKEEPING_INTERVAL = timedelta(minutes=10)


class ServiceRuntime:
    def __init__(
        self,
        name: str,
        settings: ServiceSettings,
        subscriptions: Mapping[ConsumerQueue, Mapping[str, EventHandler]],
    ) -> None:
        self.name = name
        self.settings = settings
        self.db = Database(settings.sqlalchemy_url)
        self.broker = RabbitBroker(
            settings.amqp_url,
            logger=logging.getLogger(f"{name}.broker"),
            log_level=logging.DEBUG,
            default_channel=Channel(prefetch_count=settings.consumer_prefetch),
            graceful_timeout=10.0,
        )
        retry = RetryPolicy(settings.consumer_max_attempts, settings.consumer_retry_delay_seconds)
        self.consumers = [
            EventConsumer(queue, handlers, self.db, retry)
            for queue, handlers in subscriptions.items()
        ]
        for consumer in self.consumers:
            consumer.register(self.broker)
        self.publisher = EventPublisher(settings.amqp_url)
        self.relay = OutboxRelay(
            self.db,
            self.publisher,
            listen_dsn=asyncpg_dsn(settings.sqlalchemy_url),
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
            max_backoff_seconds=settings.outbox_max_backoff_seconds,
        )
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def queues(self) -> tuple[ConsumerQueue, ...]:
        return tuple(consumer.queue for consumer in self.consumers)

    async def start(self) -> None:
        await self.broker.connect()
        await declare_topology(self.broker, self.queues)
        await self.broker.start()
        await self.publisher.start()
        self._tasks = [
            asyncio.create_task(self.relay.run(), name=f"{self.name}-outbox-relay"),
            asyncio.create_task(self._housekeeping(), name=f"{self.name}-housekeeping"),
        ]
        log.info("service started", consumers=[q.name for q in self.queues])

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.publisher.stop()
        await self.broker.stop()
        await self.db.dispose()

    async def is_ready(self) -> dict[str, bool]:
        return {
            "database": await _answers(self.db.ping),
            "broker": await _answers(lambda: self.broker.ping(timeout=1.0)),
        }

    async def _housekeeping(self) -> None:
        retention = timedelta(days=self.settings.outbox_retention_days)
        while True:
            try:
                removed = await purge_old_messages(self.db, retention)
                if removed:
                    log.info("purged old outbox and inbox rows", removed=removed)
            except Exception:
                log.exception("housekeeping failed")
            await asyncio.sleep(HOUSEKEEPING_INTERVAL.total_seconds())


async def _answers(probe: Callable[[], Awaitable[object]]) -> bool:
    try:
        return bool(await probe())
    except Exception:
        return False
