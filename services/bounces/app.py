"""The bounces service's composition root: settings, runtime, keys, adapters, routes."""

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from services.bounces.adapters.sns_certificates import SnsCertificates
from services.bounces.adapters.sns_subscriptions import SnsSubscriptions
from services.bounces.api import webhooks
from services.bounces.api.dependencies import WebhookContext
from services.bounces.handlers import SUBSCRIPTIONS
from services.bounces.settings import BouncesSettings
from services.bounces.usecases.ingest_request import Ingestion
from services.bounces.usecases.purge_expired import Retention
from services.bounces.usecases.verify_request import ProviderKeys, RequestVerifier
from services.bounces.workers.housekeeping import housekeeping
from shared.http import create_service_app
from shared.logging import configure_logging
from shared.runtime import ServiceRuntime

SERVICE = "bounces"
MIGRATIONS = Path(__file__).parent / "migrations"


def provider_keys(settings: BouncesSettings) -> ProviderKeys:
    return ProviderKeys(
        sendgrid=settings.sendgrid_public_keys(),
        mailgun=settings.mailgun_signing_key,
        postmark=settings.postmark_credentials(),
        sns_topics=frozenset(settings.sns_topic_arns),
        generic=settings.generic_webhooks(),
        tolerance=settings.webhook_tolerance,
    )


class _Closing:
    """The adapters' HTTP clients, closed when the runtime stops."""

    def __init__(self, *adapters: SnsCertificates | SnsSubscriptions | None) -> None:
        self._adapters = [a for a in adapters if a is not None]

    def start(self) -> None:
        pass

    async def stop(self, grace_seconds: float) -> None:
        for adapter in self._adapters:
            await adapter.aclose()


def create_app(settings: BouncesSettings | None = None) -> FastAPI:
    settings = settings or BouncesSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    runtime = ServiceRuntime(SERVICE, settings, SUBSCRIPTIONS, migrations=MIGRATIONS)
    certificates = SnsCertificates(
        trusted_file=settings.sns_certificate_file,
        allow_origin_for_tests=settings.sns_allow_origin_for_tests,
    )
    confirmer = (
        SnsSubscriptions(allow_origin_for_tests=settings.sns_allow_origin_for_tests)
        if settings.sns_confirm_subscriptions
        else None
    )
    retention = Retention(
        raw_events=timedelta(days=settings.raw_event_retention_days),
        sent_messages=timedelta(days=settings.sent_message_retention_days),
        tokens=2 * settings.webhook_tolerance,
    )
    runtime.add_worker(housekeeping(runtime.unit_of_work, retention, service=SERVICE))
    runtime.add_worker(_Closing(certificates, confirmer))
    app = create_service_app(title="LMS bounces", runtime=runtime, routers=[webhooks.router])
    app.state.settings = settings
    verifier = RequestVerifier(provider_keys(settings), certificates)
    app.state.webhooks = WebhookContext(Ingestion(runtime.unit_of_work, verifier, confirmer))
    return app
