"""The webhooks service's settings, read from the environment (pydantic-settings)."""

from pydantic import Field, model_validator

from shared.settings import ServiceSettings


class WebhooksSettings(ServiceSettings):
    port: int = 8005
    directory_command_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description="Longest wait for the directory's answer to a command (an integration "
        "inviting a user); past it the caller gets 503 and may retry.",
    )

    webhooks_allow_http_targets: bool = Field(
        default=False,
        description="Accept plain http:// target URLs. Development only: a delivery over "
        "http can be read and changed on the way.",
    )
    webhooks_allow_private_targets: bool = Field(
        default=False,
        description="Accept targets on private, loopback and other non-public addresses. "
        "Tests and local development only: it lets a subscriber make this service call "
        "your own network.",
    )
    retry_time_compression: float = Field(
        default=1.0,
        gt=0,
        description="Real time per scheduled time for retries and disabling: 3600 makes the "
        "24 h before a failing hook is disabled pass in 24 s (tests, demos). 1 in production.",
    )
    delivery_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    delivery_timeout_seconds: float = Field(
        default=15.0, gt=0, le=120, description="Longest wait for a receiver's whole answer."
    )
    delivery_concurrency: int = Field(
        default=256,
        ge=1,
        le=5000,
        description="Deliveries claimed at once, per process: being sent, or waiting for "
        "their receiver's turn (see DELIVERY_PER_TARGET_CONCURRENCY).",
    )
    delivery_per_target_concurrency: int = Field(
        default=8,
        ge=1,
        le=100,
        description="Deliveries in flight at once to one receiving server (scheme, host, "
        "port), per process: a slow receiver holds only these.",
    )
    delivery_batch_size: int = Field(default=100, ge=1, le=1000, description="Claimed at once.")
    delivery_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A delivery claimed by a process that died is taken again after this.",
    )
    delivery_poll_seconds: float = Field(
        default=1.0, gt=0, description="Look for due retries at least this often."
    )
    api_key_prefix: str = Field(
        default="lms_live_",
        min_length=3,
        max_length=20,
        pattern=r"^[a-z][a-z0-9_]*_$",
        description="The start of every API key, so a leaked key is recognised (secret "
        "scanners) and told apart from an access token.",
    )
    max_hooks_per_tenant: int = Field(default=200, ge=1)
    history_retention_days: int = Field(
        default=30, ge=1, description="Attempts, finished deliveries and events are kept this long."
    )

    @model_validator(mode="after")
    def _lease_outlives_an_attempt(self) -> "WebhooksSettings":
        if self.delivery_lease_seconds < 3 * self.delivery_timeout_seconds:
            raise ValueError(
                "DELIVERY_LEASE_SECONDS must be at least three times DELIVERY_TIMEOUT_SECONDS:"
                " a claim waits for a free slot, then its attempt must end within the lease"
            )
        return self
