"""Settings every service reads from its environment (one way, pydantic-settings)."""

from pathlib import Path

from pydantic import Field, PostgresDsn, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.db import asyncpg_dsn, sqlalchemy_dsn


class ProcessSettings(BaseSettings):
    """What every service process reads, with or without a database: its HTTP listener,
    its logs, its shutdown budget. A service with no database and no broker (the admin
    console) subclasses this one; every other service subclasses ServiceSettings."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    port: int = Field(default=8000, description="HTTP port.")
    host: str = Field(default="127.0.0.1", description="HTTP bind address.")
    log_level: str = "INFO"
    log_json: bool = Field(default=True, description="JSON log lines (false: readable console).")
    shutdown_timeout_seconds: float = Field(
        default=20.0, gt=0, description="On SIGTERM, finish in-flight work within this time."
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Larger request bodies are refused (413)."
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="The gateway's address(es): only they may set X-Forwarded-For "
        "(comma-separated; '*' trusts anyone, never do that when the service is reachable).",
    )


class ServiceSettings(ProcessSettings):
    """The settings common to every service; each service subclasses it with its own."""

    database_url: PostgresDsn = Field(
        description="This service's own PostgreSQL database (postgresql+asyncpg://...).",
    )
    amqp_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/",
        description="RabbitMQ, including the virtual host.",
    )

    jwt_public_key: str = Field(
        default="",
        description="PEM of the directory's Ed25519 public key, used to verify access tokens.",
    )
    jwt_public_key_file: Path | None = Field(
        default=None, description="Or a file holding that PEM (a mounted secret)."
    )
    jwt_issuer: str = "lms-directory"
    jwt_audience: str = "lms"

    db_pool_size: int = Field(
        default=3,
        ge=1,
        description="Database connections kept open per process (see docs/operations.md for "
        "the budget: two replicas of every service fit PostgreSQL's default 100).",
    )
    db_max_overflow: int = Field(default=3, ge=0, description="Extra connections under load.")
    db_behind_pgbouncer: bool = Field(
        default=False,
        description="PgBouncer in transaction mode: no server-side prepared statement cache, "
        "session settings applied per transaction.",
    )
    database_listen_url: PostgresDsn | None = Field(
        default=None,
        description="A direct connection to the same database for LISTEN and streaming reads "
        "(they live as long as the session, which PgBouncer's transaction mode does not "
        "keep); default DATABASE_URL.",
    )
    outbox_batch_size: int = Field(default=500, ge=1, le=5000)
    publish_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="The outbox relay gives up on its unconfirmed publications (and retries "
        "them later) when the broker confirmed none of them for this long.",
    )
    publish_max_in_flight: int = Field(
        default=100, ge=1, description="Unconfirmed publications at a time, per process."
    )
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_max_backoff_seconds: float = Field(default=30.0, gt=0)
    outbox_retention_days: int = Field(default=7, ge=1)

    consumer_max_attempts: int = Field(
        default=5, ge=1, description="Deliveries of a failing message before it is dead-lettered."
    )
    consumer_retry_delay_seconds: float = Field(default=0.5, ge=0)
    consumer_prefetch: int = Field(default=50, ge=1)

    @model_validator(mode="after")
    def _read_key_files(self) -> "ServiceSettings":
        if not self.jwt_public_key and self.jwt_public_key_file:
            object.__setattr__(self, "jwt_public_key", self.jwt_public_key_file.read_text())
        return self

    @property
    def listen_dsn(self) -> str:
        """Where LISTEN connects (asyncpg's own URL): never through PgBouncer."""
        return asyncpg_dsn(str(self.database_listen_url or self.database_url))

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the asyncpg driver, whatever scheme was configured."""
        return sqlalchemy_dsn(str(self.database_url))
