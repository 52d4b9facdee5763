"""The directory's composition root: settings, runtime, routers, in one place."""

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm.exc import StaleDataError

from services.directory.api import auth, custom_fields, groups, users
from services.directory.handlers import subscriptions
from services.directory.settings import DirectorySettings
from shared.http import create_service_app
from shared.http.problems import problem_response
from shared.logging import configure_logging
from shared.runtime import ServiceRuntime
from shared.security.access_tokens import AccessTokenIssuer, AccessTokenVerifier

SERVICE = "directory"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: DirectorySettings | None = None) -> FastAPI:
    settings = settings or DirectorySettings()
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    public_key = public_key_pem(settings.jwt_private_key)
    settings = settings.model_copy(update={"jwt_public_key": public_key})
    runtime = ServiceRuntime(
        SERVICE, settings, subscriptions(settings.sealing_keys), migrations=MIGRATIONS
    )
    app = create_service_app(
        title="LMS directory",
        runtime=runtime,
        routers=[auth.router, users.router, groups.router, custom_fields.router],
    )
    app.state.settings = settings
    app.state.token_issuer = AccessTokenIssuer(
        settings.jwt_private_key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.access_token_ttl,
    )
    app.state.token_verifier = AccessTokenVerifier(
        public_key, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    app.add_exception_handler(StaleDataError, _on_concurrent_change)
    return app


def public_key_pem(private_key_pem: str) -> str:
    if not private_key_pem.strip():
        raise ValueError(
            "JWT_PRIVATE_KEY is not set: generate one with `python -m services.directory keygen`"
        )
    key = load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("JWT_PRIVATE_KEY must be an Ed25519 private key (PEM)")
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


async def _on_concurrent_change(_: Request, __: Exception) -> JSONResponse:
    """Two writers met on the same user row: the later one is told to try again."""
    return problem_response(409, "conflict", "The user was changed meanwhile; try again.")
