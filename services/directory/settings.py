from datetime import timedelta
from pathlib import Path

from pydantic import Field, model_validator

from shared.settings import ServiceSettings


class DirectorySettings(ServiceSettings):
    port: int = 8001
    jwt_private_key: str = Field(
        default="",
        description="PEM of the Ed25519 key that signs access tokens (the directory only).",
    )
    jwt_private_key_file: Path | None = Field(
        default=None, description="Or a file holding that PEM (a mounted secret)."
    )
    sealing_private_keys: str = Field(
        default="",
        description="Opens the password hashes the invitations service seals for the directory: "
        "base64 X25519 private keys from `keygen`, comma-separated, newest first (rotation).",
    )
    sealing_private_keys_file: Path | None = Field(
        default=None, description="Or a file holding them (a mounted secret)."
    )
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    session_ttl_hours: int = Field(default=12, ge=1, le=24 * 30)
    session_cookie_name: str = "lms_session"
    email_smtputf8: bool = Field(
        default=False,
        description="Accept non-ASCII before the @-sign (josé@…): only when the invitations "
        "service's SMTP server offers SMTPUTF8. Internationalized domains are always accepted "
        "(sent as punycode).",
    )
    session_cookie_secure: bool = Field(
        default=True, description="Send the session cookie over HTTPS only."
    )
    login_free_failures: int = Field(
        default=5, ge=1, description="Free failures per account name and client address."
    )
    login_client_free_failures: int = Field(
        default=30, ge=1, description="Free failures per client address, any account."
    )
    login_account_free_failures: int = Field(
        default=50, ge=1, description="Free failures per account name from unknown devices."
    )
    login_max_wait_seconds: int = Field(default=900, ge=1)
    login_reset_hours: int = Field(default=12, ge=1)
    login_alert_after: int = Field(
        default=10, ge=1, description="E-mail the user at this many failures on their account."
    )
    password_reset_per_hour: int = Field(
        default=3, ge=1, description="Reset requests per account name and client, per hour."
    )
    password_reset_per_client_per_hour: int = Field(
        default=20, ge=1, description="Reset requests per client address, per hour."
    )
    known_device_cookie_name: str = "lms_device"
    known_device_days: int = Field(
        default=180, ge=1, description="A device unused this long is no longer known."
    )
    invitation_resend_interval_seconds: int = Field(
        default=60, ge=0, description="Least time between two invitations of one user."
    )
    list_exact_total_limit: int = Field(
        default=20_000,
        description="Above this estimated number of matches, the list total is an estimate.",
    )
    # An import's file is the largest body the directory takes, up to the gateway's own
    # limit (nginx `client_max_body_size 10m`); JSON bodies stay small: each route's model
    # bounds its fields. 100,000 users of 7 columns are ~7.5 MB of CSV.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    import_max_rows: int = Field(default=100_000, ge=1, description="Most users one file holds.")
    import_max_bytes: int = Field(default=10_000_000, ge=1000, description="Largest file taken.")
    job_keep_days: int = Field(
        default=7, ge=1, description="How long previews and per-row results are kept."
    )
    # 4,000: a 100,000-user deactivation 39.3-40.0 s with 2,000 a batch, 32.7-34.4 s with
    # 4,000 (RSS 214 and 226 MB, flat), once its statements had generic plans and its GIN
    # entries were merged a few batches at a time (docs/performance.md, issue 16's fifth round).
    job_batch_size: int = Field(default=4000, ge=1, le=5000, description="Users per batch.")
    job_lease_seconds: int = Field(
        default=60, ge=5, description="How long a worker holds a job it stopped reporting on."
    )
    job_poll_seconds: float = Field(default=0.5, gt=0, description="Idle wait between looks.")

    @model_validator(mode="after")
    def _read_private_key_file(self) -> "DirectorySettings":
        if not self.jwt_private_key and self.jwt_private_key_file:
            object.__setattr__(self, "jwt_private_key", self.jwt_private_key_file.read_text())
        if not self.sealing_private_keys and self.sealing_private_keys_file:
            keys = self.sealing_private_keys_file.read_text().strip()
            object.__setattr__(self, "sealing_private_keys", keys)
        return self

    @property
    def sealing_keys(self) -> list[str]:
        return [key.strip() for key in self.sealing_private_keys.split(",") if key.strip()]

    @property
    def access_token_ttl(self) -> timedelta:
        return timedelta(seconds=self.access_token_ttl_seconds)

    @property
    def known_device_ttl(self) -> timedelta:
        return timedelta(days=self.known_device_days)

    @property
    def job_keep_for(self) -> timedelta:
        return timedelta(days=self.job_keep_days)

    @property
    def session_ttl(self) -> timedelta:
        return timedelta(hours=self.session_ttl_hours)
