"""The invitations service's composition root: settings, runtime, adapters, workers and
pages, wired in one place."""

import functools
import secrets
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from services.invitations.adapters.mail.mailer import MailWriter, SmtpMailer
from services.invitations.adapters.mail.message import MailFrom
from services.invitations.adapters.mail.rate import RateLimiter
from services.invitations.adapters.mail.render import MailRenderer
from services.invitations.adapters.mail.smtp import SmtpConfig
from services.invitations.api import pages, suppressions
from services.invitations.api.csrf import CsrfGuard
from services.invitations.api.dependencies import PageContext
from services.invitations.api.rendering import PageRenderer
from services.invitations.db.deliveries import DELIVERIES_CHANNEL
from services.invitations.domain.links import LinkMaker
from services.invitations.domain.retry import RetryPolicy
from services.invitations.handlers import subscriptions
from services.invitations.settings import InvitationsSettings
from services.invitations.usecases.choose_password import AcceptRules
from services.invitations.usecases.claim_emails import SendingRules
from services.invitations.workers.periodic import ReminderPlanner, throttle_tidier
from services.invitations.workers.recording import GroupCommit
from services.invitations.workers.sender import Sender, SendingWorker
from shared.db import Database
from shared.http import create_service_app
from shared.logging import configure_logging, get_logger
from shared.runtime import ServiceRuntime
from shared.security.access_tokens import AccessTokenVerifier
from shared.unit_of_work import UnitOfWork, unit_of_work
from shared.wakeup import Wakeup

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
    verifier = AccessTokenVerifier(  # refuses to start without JWT_PUBLIC_KEY
        settings.jwt_public_key, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    runtime = ServiceRuntime(
        SERVICE, settings, subscriptions(settings.request_batch_size), migrations=MIGRATIONS
    )
    sender = build_sender(settings)
    runtime.add_worker(sender)
    window = timedelta(seconds=settings.accept_throttle_window_seconds)
    runtime.add_worker(throttle_tidier(runtime.unit_of_work, window, service=SERVICE))
    planner = None
    if settings.reminder_before is not None:
        planner = ReminderPlanner(
            runtime.unit_of_work,
            before=settings.reminder_before,
            every_seconds=settings.reminder_scan_seconds,
            service=SERVICE,
        )
        runtime.add_worker(planner.worker)
    app = create_service_app(
        title="LMS invitations", runtime=runtime, routers=[pages.router, suppressions.router]
    )
    app.state.settings = settings
    app.state.token_verifier = verifier
    app.state.sender = sender
    app.state.planner = planner
    app.state.pages = PageContext(
        renderer=PageRenderer(settings.public_url, settings.display_timezone),
        csrf=CsrfGuard(_secret(settings.csrf_secret, CSRF_UNSET), secure=settings.cookie_secure),
        rules=AcceptRules(
            attempts_per_link=settings.accept_attempts_per_link,
            attempts_per_client=settings.accept_attempts_per_client,
            throttle_window=window,
            sealing_public_key=settings.sealing_public_key,
        ),
        login_url=settings.login_url,
    )
    return app


def build_sender(settings: InvitationsSettings) -> Sender:
    # The sender has its own connections: a burst of requests can't starve the sending.
    # Its claims are planned for the queue as it is (custom plans): a generic plan can't
    # know how much of the queue is due, and one scanned all of it per claim.
    # No connection is held while an e-mail is on its way (claim, send, record are three
    # steps): a few connections serve every worker (SEND_DB_POOL_SIZE).
    db = Database(
        settings.sqlalchemy_url,
        pool_size=settings.send_db_pool_size,
        max_overflow=0,
        server_settings={"plan_cache_mode": "force_custom_plan"},
        behind_pgbouncer=settings.db_behind_pgbouncer,
    )

    units = functools.partial(unit_of_work, db, UnitOfWork)
    rules = sending_rules(settings)
    recorder = GroupCommit(units, rules.retry)
    writer = MailWriter(
        MailRenderer(settings.public_url, settings.display_timezone),
        MailFrom(settings.sender_name, settings.sender_address),
    )
    pace = RateLimiter(settings.send_rate_per_second)
    wakeup = Wakeup(settings.listen_dsn, DELIVERIES_CHANNEL, settings.send_poll_seconds)
    # The workers share the SMTP connections: a worker holds one only for its conversation,
    # not while it waits for its outcome's commit (most of a worker's time under load).
    mailer = SmtpMailer(writer, smtp_config(settings), pace, settings.smtp_connections)
    workers = [
        SendingWorker(
            f"sender-{n}",
            units=units,
            mailer=mailer,
            recorder=recorder,
            rules=rules,
            batch_size=settings.send_batch_size,
            in_flight=settings.send_in_flight,
            wakeup=wakeup,
            service=SERVICE,
        )
        for n in range(settings.send_concurrency)
    ]
    return Sender(workers, db.dispose)


def sending_rules(settings: InvitationsSettings) -> SendingRules:
    return SendingRules(
        token_ttl=settings.token_ttl,
        reset_token_ttl=settings.reset_token_ttl,
        lease=timedelta(seconds=_lease_seconds(settings)),
        reminders_on=settings.reminder_before is not None,
        message_domain=settings.sender_domain,
        retry=RetryPolicy(
            settings.send_max_attempts,
            settings.send_retry_base_seconds,
            settings.send_retry_max_seconds,
        ),
        links=LinkMaker(_secret(settings.link_secret, LINK_UNSET)),
    )


def _lease_seconds(settings: InvitationsSettings) -> float:
    """Long enough for a worker to get through a whole batch of slow SMTP answers, waiting
    for a shared connection before each, so a claim is only ever taken over from a process
    that died."""
    under_way = settings.send_concurrency * settings.send_in_flight
    turns = -(-under_way // settings.smtp_connections)  # waits for a connection, at most
    slowest_batch = settings.send_batch_size * settings.smtp_timeout_seconds * turns
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


CSRF_UNSET = "CSRF_SECRET is not set: using a random one (forms break across replicas)"
LINK_UNSET = (
    "LINK_SECRET is not set: using a random one (an e-mail sent again after a restart, or "
    "by another replica, carries a new link: the earlier copy's dies)"
)


def _secret(value: str, unset: str) -> bytes:
    if value:
        return value.encode()
    log.warning(unset)
    return secrets.token_bytes(32)
