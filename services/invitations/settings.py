"""The invitations service's settings, read from the environment (pydantic-settings)."""

from datetime import timedelta
from pathlib import Path

from pydantic import Field, ValidationInfo, field_validator, model_validator

from shared.settings import ServiceSettings


class InvitationsSettings(ServiceSettings):
    port: int = 8002
    public_url: str = Field(
        default="http://127.0.0.1:8002",
        description="Where users reach this service; invitation links are built from it.",
    )
    login_url: str = Field(default="", description="Shown after a password is chosen.")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = Field(default=False, description="Upgrade with STARTTLS.")
    smtp_implicit_tls: bool = Field(default=False, description="TLS from the start (465).")
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    smtp_validate_certs: bool = True
    sender_address: str = "no-reply@example.com"
    sender_name: str = Field(default="", description="Display name; empty: the tenant's name.")

    token_ttl_hours: int = Field(default=7 * 24, ge=1, le=90 * 24)
    reset_token_ttl_minutes: int = Field(
        default=60, ge=5, le=24 * 60, description="How long a password-reset link works."
    )
    reminder_hours_before_expiry: int = Field(
        default=24, ge=0, description="Remind this long before a link expires; 0: no reminder."
    )
    display_timezone: str = "America/Toronto"

    send_max_attempts: int = Field(default=8, ge=1, le=50)
    send_retry_base_seconds: float = Field(default=30.0, gt=0)
    send_retry_max_seconds: float = Field(default=1800.0, gt=0)
    send_concurrency: int = Field(
        default=16, ge=1, le=100, description="Sending workers, each claiming its own batches."
    )
    send_in_flight: int = Field(
        default=4,
        ge=1,
        le=50,
        description="E-mails of a worker's batch under way at once (sent, or sent and waiting "
        "for their outcome's commit): a crash catches at most SEND_CONCURRENCY x this many "
        "between the server's acceptance and the record (each sent again, the same e-mail).",
    )
    smtp_connections: int = Field(
        default=32,
        ge=1,
        le=100,
        description="Parallel SMTP sessions, shared by the sending workers (an e-mail holds "
        "one only for its SMTP conversation).",
    )
    send_db_pool_size: int = Field(
        default=2,
        ge=1,
        le=50,
        description="The sender's own database connections, shared by its workers (claims and "
        "the group commit of outcomes; none is held during an SMTP conversation).",
    )
    send_batch_size: int = Field(default=16, ge=1, le=500, description="Claimed per worker.")
    send_rate_per_second: float = Field(default=0, ge=0, description="0: unlimited.")
    send_lease_seconds: float = Field(
        default=600, gt=0, description="After this, a claim left by a dead process is retaken."
    )
    send_poll_seconds: float = Field(default=5.0, gt=0)
    reminder_scan_seconds: float = Field(default=60.0, gt=0)
    request_batch_size: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="`invitation.requested` recorded in one transaction when they arrive "
        "together (1: one transaction each).",
    )
    consumer_prefetch: int = Field(
        default=200, ge=1, description="Messages in hand per queue: room for two batches."
    )

    sealing_public_key: str = Field(
        default="",
        description="The directory's sealing public key (from its `keygen`): new password "
        "hashes are sealed with it before they go on the bus.",
    )
    sealing_public_key_file: Path | None = Field(
        default=None, description="Or a file holding it (a mounted secret)."
    )
    csrf_secret: str = Field(
        default="",
        description="Signs the form's CSRF token; the same for every replica (random if unset).",
    )
    link_secret: str = Field(
        default="",
        description="Derives each link's token from the nonce stored with it, so that an "
        "e-mail sent again (its first copy may have arrived) carries the same link; the "
        "same for every replica (random if unset: a resend after a restart then carries "
        "a new link and the earlier copy's link dies).",
    )
    cookie_secure: bool = Field(default=True, description="Send cookies over HTTPS only.")
    accept_attempts_per_link: int = Field(default=10, ge=1)
    accept_attempts_per_client: int = Field(default=30, ge=1)
    accept_throttle_window_seconds: int = Field(default=900, ge=1)

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("PUBLIC_URL must be an absolute http(s) URL")
        return value.rstrip("/")

    @field_validator("csrf_secret", "link_secret")
    @classmethod
    def _long_enough(cls, value: str, info: ValidationInfo) -> str:
        if value and len(value) < 32:
            raise ValueError(f"{(info.field_name or '').upper()} must have at least 32 characters")
        return value

    @model_validator(mode="after")
    def _read_sealing_key_file(self) -> "InvitationsSettings":
        if not self.sealing_public_key and self.sealing_public_key_file:
            key = self.sealing_public_key_file.read_text().strip()
            object.__setattr__(self, "sealing_public_key", key)
        return self

    @model_validator(mode="after")
    def _one_tls_mode(self) -> "InvitationsSettings":
        if self.smtp_starttls and self.smtp_implicit_tls:
            raise ValueError("choose SMTP_STARTTLS or SMTP_IMPLICIT_TLS, not both")
        return self

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(hours=self.token_ttl_hours)

    @property
    def reset_token_ttl(self) -> timedelta:
        return timedelta(minutes=self.reset_token_ttl_minutes)

    @property
    def reminder_before(self) -> timedelta | None:
        hours = self.reminder_hours_before_expiry
        return timedelta(hours=hours) if 0 < hours < self.token_ttl_hours else None

    @property
    def sender_domain(self) -> str:
        return self.sender_address.rpartition("@")[2] or "localhost"
