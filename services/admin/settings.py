"""The admin console's settings. It holds no data: no database, no broker; it reaches the
other services through the gateway, as any API client would."""

from pydantic import Field, field_validator

from shared.settings import ProcessSettings


class AdminSettings(ProcessSettings):
    port: int = 8006
    # An import's file passes through the console on its way to the directory (whose
    # `IMPORT_MAX_BYTES` is 10 MB): the same limit as the directory's and nginx's.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    gateway_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Where the console reaches the APIs: the gateway (never a service directly).",
    )
    cookie_secret: str = Field(
        default="",
        description="Encrypts and signs the console's session cookie and CSRF tokens "
        "(at least 32 characters; the same on every replica). Required.",
    )
    cookie_secure: bool = Field(
        default=True, description="Send the session cookie over HTTPS only (__Host- prefix)."
    )
    session_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="A console session ends after this long."
    )
    display_timezone: str = Field(
        default="America/Toronto",
        description="The tenant's time zone for dates (the API gives none yet).",
    )
    default_locale: str = Field(default="fr", pattern="^(fr|en)$")
    api_timeout_seconds: float = Field(default=15.0, gt=0)
    directory_session_cookie: str = Field(
        default="lms_session", description="The name of the directory's session cookie."
    )
    directory_device_cookie: str = Field(
        default="lms_device", description="The name of the directory's known-device cookie."
    )

    @field_validator("gateway_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("cookie_secret")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if len(value) < 32:
            raise ValueError(
                "COOKIE_SECRET must be set to at least 32 random characters "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return value
