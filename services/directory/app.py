"""The directory's composition root: settings, runtime, routers, in one place."""

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from services.directory.api import auth, bulk, custom_fields, groups, imports, users
from services.directory.api.access_tokens import AccessTokenIssuer
from services.directory.handlers import subscriptions
from services.directory.handlers.commands import answer_directory_commands
from services.directory.settings import DirectorySettings
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from services.directory.workers.job_runner import JobRunner
from services.directory.workers.tidying import login_failures_tidier
from shared.http import create_service_app
from shared.logging import configure_logging
from shared.runtime import ServiceRuntime
from shared.security.access_tokens import AccessTokenVerifier

SERVICE = "directory"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: DirectorySettings | None = None) -> FastAPI:
    settings = settings or DirectorySettings()
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    issuer = AccessTokenIssuer(
        settings.jwt_private_key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.access_token_ttl,
    )
    settings = settings.model_copy(update={"jwt_public_key": issuer.public_key_pem})
    runtime = ServiceRuntime(
        SERVICE,
        settings,
        subscriptions(settings.sealing_keys),
        migrations=MIGRATIONS,
        unit_of_work_factory=DirectoryUnitOfWork,
    )
    answer_directory_commands(
        runtime.broker,
        runtime.unit_of_work,  # type: ignore[arg-type]
        smtputf8=settings.email_smtputf8,
    )
    jobs = JobRunner(
        runtime.unit_of_work,  # type: ignore[arg-type]
        lease=timedelta(seconds=settings.job_lease_seconds),
        batch_size=settings.job_batch_size,
        idle_seconds=settings.job_poll_seconds,
        service=SERVICE,
        smtputf8=settings.email_smtputf8,
    )
    runtime.add_worker(jobs.worker)
    runtime.add_worker(jobs.tidier)
    reset_after = timedelta(hours=settings.login_reset_hours)
    runtime.add_worker(login_failures_tidier(runtime.unit_of_work, reset_after, service=SERVICE))
    app = create_service_app(
        title="LMS directory",
        runtime=runtime,
        routers=[
            auth.router,
            bulk.router,  # before users: /api/v1/users/bulk is not a user's id
            users.router,
            groups.router,
            custom_fields.router,
            imports.router,
        ],
    )
    app.state.settings = settings
    app.state.token_issuer = issuer
    app.state.token_verifier = AccessTokenVerifier(
        issuer.public_key_pem, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    return app
