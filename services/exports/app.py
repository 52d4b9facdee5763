"""The exports service's composition root: settings, runtime, storage, job workers, routes."""

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from services.exports.adapters.storage import DirectoryStorage, FileStorage, S3Storage
from services.exports.adapters.storage.s3 import S3Location
from services.exports.api import exports
from services.exports.db.export_rows import ProjectionReader
from services.exports.db.jobs import JOBS_CHANNEL
from services.exports.handlers import SUBSCRIPTIONS
from services.exports.settings import ExportsSettings
from services.exports.usecases.build_export import BuildSettings
from services.exports.workers.builder import export_builder
from services.exports.workers.expiry import expiry_sweeper
from shared.http import create_service_app
from shared.logging import configure_logging
from shared.runtime import ServiceRuntime
from shared.security.access_tokens import AccessTokenVerifier
from shared.wakeup import Wakeup

SERVICE = "exports"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: ExportsSettings | None = None) -> FastAPI:
    settings = settings or ExportsSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    runtime = ServiceRuntime(SERVICE, settings, SUBSCRIPTIONS, migrations=MIGRATIONS)
    storage = file_storage(settings)
    # LISTEN and the streaming reads (a cursor, COPY) hold their session: a direct URL.
    dsn = settings.listen_dsn

    async def open_rows() -> ProjectionReader:
        return await ProjectionReader.connect(dsn)

    build = BuildSettings(
        storage=storage,
        open_rows=open_rows,
        lease=timedelta(seconds=settings.export_lease_seconds),
        ttl=timedelta(hours=settings.export_ttl_hours),
        zone=ZoneInfo(settings.display_timezone),
        max_attempts=settings.export_max_attempts,
        work_dir=settings.export_work_dir,
    )
    for number in range(settings.export_concurrency):
        wakeup = Wakeup(dsn, JOBS_CHANNEL, settings.export_poll_seconds)
        runtime.add_worker(
            export_builder(f"export-builder-{number}", SERVICE, runtime.unit_of_work, build, wakeup)
        )
    runtime.add_worker(
        expiry_sweeper(SERVICE, runtime.unit_of_work, storage, settings.export_expiry_scan_seconds)
    )
    app = create_service_app(title="LMS exports", runtime=runtime, routers=[exports.router])
    app.state.settings = settings
    app.state.storage = storage
    app.state.token_verifier = AccessTokenVerifier(
        settings.jwt_public_key, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    return app


def file_storage(settings: ExportsSettings) -> FileStorage:
    if settings.export_storage == "s3":
        return S3Storage(
            S3Location(
                bucket=settings.export_s3_bucket,
                prefix=settings.export_s3_prefix,
                endpoint_url=settings.export_s3_endpoint_url,
                region=settings.export_s3_region,
                access_key_id=settings.export_s3_access_key_id,
                secret_access_key=settings.export_s3_secret_access_key,
            )
        )
    return DirectoryStorage(settings.export_dir)
