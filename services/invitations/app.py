"""The invitations service's composition root: settings, runtime, sender, pages, in one place."""

import secrets
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from services.invitations.api import pages
from services.invitations.api.csrf import CsrfGuard
from services.invitations.api.dependencies import PageContext
from services.invitations.api.rendering import PageRenderer
from services.invitations.db.deliveries import DELIVERIES_CHANNEL
from services.invitations.domain.retry import RetryPolicy
from services.invitations.handlers import SUBSCRIPTIONS
from services.invitations.mail.render import MailRenderer
from services.invitations.mail.smtp import SmtpConfig
from services.invitations.settings import InvitationsSettings
from services.invitations.usecases.sending import SendingRules
from services.invitations.worker.compose import MailComposer
from services.invitations.worker.rate import RateLimiter
from services.invitations.worker.reminders import ReminderPlanner
from services.invitations.worker.sender import Sender
from shared.db import Database, asyncpg_dsn
from shared.http import create_service_app
from shared.logging import configure_logging, get_logger
from shared.runtime import ServiceRuntime
from shared.wakeup import Wakeup
from shared.workers import Worker, periodic

SERVICE = "invitations"
MIGRATIONS = Path(__file__).parent / "migrations"
log = get_logger(__name__)


def create_app(settings: InvitationsSettings | None = None) -> FastAPI:
    settings = settings or InvitationsSettings()
    if not settings.sealing_public_key:
        raise ValueError(
            "SEALING_PUBLIC_KEY is not set: use the public sealing key that "
            "`python -m services.directory keygen` printed for the directory"
        )
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    runtime = ServiceRuntime(SERVICE, settings, SUBSCRIPTIONS, migrations=MIGRATIONS)
    # The sender has its own connections: a burst of requests can't starve the sending.
    # Its claims are planned for the queue as it is (custom plans): a generic plan can't
    # know how much of the queue is due, and one scanned all of it per claim.
    sending_db = Database(
        settings.sqlalchemy_url,
        pool_size=settings.send_concurrency + 2,
        max_overflow=2,
        server_settings={"plan_cache_mode": "force_custom_plan"},
    )
    sender = build_sender(sending_db, settings)
    planner = ReminderPlanner(
        runtime.db,
        before=settings.reminder_before,
        throttle_window=timedelta(seconds=settings.accept_throttle_window_seconds),
    )
    runtime.add_worker(sender)
    runtime.add_worker(
        Worker(
            "reminder-planner",
            periodic(planner.run_once),
            service=SERVICE,
            idle_seconds=settings.reminder_scan_seconds,
        )
    )
    app = create_service_app(title="LMS invitations", runtime=runtime, routers=[pages.router])
    app.state.settings = settings
    app.state.sender = sender
    app.state.planner = planner
    app.state.pages = PageContext(
        db=runtime.db,
        settings=settings,
        renderer=PageRenderer(settings.public_url),
        csrf=CsrfGuard(_csrf_secret(settings), secure=settings.cookie_secure),
    )
    return app


def build_sender(db: Database, settings: InvitationsSettings) -> Sender:
    rules = SendingRules(
        token_ttl=settings.token_ttl,
        lease=timedelta(seconds=_lease_seconds(settings)),
        reminders_on=settings.reminder_before is not None,
        message_domain=settings.sender_domain,
        retry=RetryPolicy(
            settings.send_max_attempts,
            settings.send_retry_base_seconds,
            settings.send_retry_max_seconds,
        ),
    )
    composer = MailComposer(
        MailRenderer(settings.public_url, settings.display_timezone),
        settings.sender_name,
        settings.sender_address,
    )
    return Sender(
        db,
        smtp=smtp_config(settings),
        composer=composer,
        rules=rules,
        wakeup=Wakeup(
            asyncpg_dsn(settings.sqlalchemy_url), DELIVERIES_CHANNEL, settings.send_poll_seconds
        ),
        workers=settings.send_concurrency,
        batch_size=settings.send_batch_size,
        rate=RateLimiter(settings.send_rate_per_second),
    )


def _lease_seconds(settings: InvitationsSettings) -> float:
    """Long enough for a worker to get through a whole batch of slow SMTP answers, so a
    claim is only ever taken over from a process that died."""
    slowest_batch = settings.send_batch_size * settings.smtp_timeout_seconds
    return max(settings.send_lease_seconds, slowest_batch + 60)


def smtp_config(settings: InvitationsSettings) -> SmtpConfig:
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        starttls=settings.smtp_starttls,
        implicit_tls=settings.smtp_implicit_tls,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout_seconds=settings.smtp_timeout_seconds,
        validate_certs=settings.smtp_validate_certs,
    )


def _csrf_secret(settings: InvitationsSettings) -> bytes:
    if settings.csrf_secret:
        return settings.csrf_secret.encode()
    log.warning("CSRF_SECRET is not set: using a random one (forms break across replicas)")
    return secrets.token_bytes(32)
