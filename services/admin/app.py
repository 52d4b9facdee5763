"""The admin console's composition root: settings, the API client, the cookie sealer, the
templates and the pages. It holds no data: everything comes from the APIs, through the
gateway, as the logged-in admin."""

from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.admin import i18n
from services.admin.adapters.api_client import ApiClient
from services.admin.adapters.sealing import CookieSealer
from services.admin.api import (
    auth,
    bulk,
    directory,
    imports,
    integrations,
    profile,
    tenant_settings,
    user_actions,
)
from services.admin.api.context import Console
from services.admin.api.errors import install_error_pages
from services.admin.api.rendering import template_environment
from services.admin.api.security import console_headers
from services.admin.settings import AdminSettings
from shared.http import create_service_app
from shared.logging import configure_logging
from shared.runtime import DependencyReadiness, StatelessRuntime

SERVICE = "admin"
STATIC = Path(__file__).parent / "static"
# What /readyz asks: the directory must answer; the others are reported (the console
# shows "not available" for a service that is absent).
REQUIRED_APIS = {"directory": "/api/v1/auth/jwks.json"}


def create_app(settings: AdminSettings | None = None) -> FastAPI:
    settings = settings or AdminSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    i18n.load_catalogues()
    zone = ZoneInfo(settings.display_timezone)
    api = ApiClient(settings.gateway_url, settings.api_timeout_seconds)

    async def readiness() -> DependencyReadiness:
        answers = {name: await api.is_up(path) for name, path in REQUIRED_APIS.items()}
        return DependencyReadiness(answers, tuple(REQUIRED_APIS))

    runtime = StatelessRuntime(SERVICE, settings, readiness, on_stop=[api.aclose])
    app = create_service_app(
        title="LMS admin console",
        runtime=runtime,
        routers=[
            auth.router,
            directory.router,
            imports.router,
            bulk.router,
            user_actions.router,
            profile.router,
            tenant_settings.router,
            integrations.router,
        ],
    )
    app.state.console = Console(
        settings=settings,
        api=api,
        sealer=CookieSealer(settings.cookie_secret, settings.session_hours * 3600),
        templates=template_environment(zone),
        zone=zone,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.middleware("http")(console_headers)
    install_error_pages(app)
    return app
