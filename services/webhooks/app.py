"""The webhooks service's composition root: settings, runtime, sender, routes."""

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from services.webhooks.adapters.directory import DirectoryCommands
from services.webhooks.adapters.http_delivery import WebhookSender
from services.webhooks.adapters.resolver import Resolver, SystemResolver
from services.webhooks.api import api_keys, hooks, integrations, me
from services.webhooks.db.deliveries import DELIVERIES_CHANNEL
from services.webhooks.domain.schedule import DEFAULT_SCHEDULE
from services.webhooks.domain.targets import TargetPolicy
from services.webhooks.handlers import SUBSCRIPTIONS
from services.webhooks.settings import WebhooksSettings
from services.webhooks.usecases.subscribe import SubscriptionRules
from services.webhooks.workers.deliveries import DeliveryEngine, DeliveryLimits
from services.webhooks.workers.history import history_purger
from shared.db import Database
from shared.http import create_service_app
from shared.logging import configure_logging, get_logger
from shared.messaging.commands import CommandClient
from shared.runtime import ServiceRuntime
from shared.security.access_tokens import AccessTokenVerifier
from shared.wakeup import Wakeup

SERVICE = "webhooks"
MIGRATIONS = Path(__file__).parent / "migrations"
# The sender's queries all find a few rows through an index; on its connections they are
# planned that way whatever the statistics say. On a fresh table (no statistics yet) the
# planner chose hash joins that read the whole queue for every claim: 130-770 ms instead
# of 4 ms with 10,000 deliveries queued.
QUEUE_PLANNING = {"enable_hashjoin": "off", "enable_mergejoin": "off", "enable_bitmapscan": "off"}
SENDER_CONNECTIONS = 2  # the dispatcher and the recorder
log = get_logger(__name__)


def create_app(
    settings: WebhooksSettings | None = None, resolver: Resolver | None = None
) -> FastAPI:
    """`resolver` replaces the system's DNS (tests: names that resolve as they say)."""
    settings = settings or WebhooksSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    resolver = resolver or SystemResolver()
    if settings.webhooks_allow_private_targets or settings.webhooks_allow_http_targets:
        log.warning(
            "unsafe webhook targets allowed: development and tests only",
            http=settings.webhooks_allow_http_targets,
            private=settings.webhooks_allow_private_targets,
        )
    runtime = ServiceRuntime(SERVICE, settings, SUBSCRIPTIONS, migrations=MIGRATIONS)
    runtime.add_worker(delivery_engine(runtime, settings, resolver))
    commands = CommandClient(settings.amqp_url)
    runtime.add_worker(commands)
    runtime.add_worker(
        history_purger(
            SERVICE, runtime.unit_of_work, timedelta(days=settings.history_retention_days)
        )
    )
    app = create_service_app(
        title="LMS webhooks",
        runtime=runtime,
        routers=[api_keys.router, me.router, hooks.router, integrations.router],
    )
    app.state.settings = settings
    app.state.directory = DirectoryCommands(commands, settings.directory_command_timeout_seconds)
    app.state.token_verifier = AccessTokenVerifier(
        settings.jwt_public_key, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    app.state.subscription_rules = SubscriptionRules(
        TargetPolicy(
            allow_http=settings.webhooks_allow_http_targets,
            allow_private=settings.webhooks_allow_private_targets,
        ),
        resolver,
        settings.max_hooks_per_tenant,
    )
    return app


def delivery_engine(
    runtime: ServiceRuntime, settings: WebhooksSettings, resolver: Resolver
) -> DeliveryEngine:
    sender = WebhookSender(
        resolver=resolver,
        allow_http=settings.webhooks_allow_http_targets,
        allow_private=settings.webhooks_allow_private_targets,
        connect_timeout=settings.delivery_connect_timeout_seconds,
        total_timeout=settings.delivery_timeout_seconds,
        max_connections=settings.delivery_concurrency,
    )
    # Connections of its own: a burst of API requests can't starve the sending.
    sender_db = Database(
        settings.sqlalchemy_url,
        pool_size=SENDER_CONNECTIONS,
        max_overflow=0,
        server_settings=QUEUE_PLANNING,
        behind_pgbouncer=settings.db_behind_pgbouncer,
    )
    return DeliveryEngine(
        service=SERVICE,
        db=sender_db,
        sender=sender,
        wakeup=Wakeup(settings.listen_dsn, DELIVERIES_CHANNEL, settings.delivery_poll_seconds),
        schedule=DEFAULT_SCHEDULE.compressed(settings.retry_time_compression),
        limits=DeliveryLimits(
            concurrency=settings.delivery_concurrency,
            per_target=settings.delivery_per_target_concurrency,
            batch_size=settings.delivery_batch_size,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            attempt_timeout=timedelta(seconds=settings.delivery_timeout_seconds),
        ),
    )
