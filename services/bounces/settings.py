"""The bounces service's settings, read from the environment (pydantic-settings).

Every secret setting takes several values separated by commas: during a rotation the old
and the new one are both accepted. A provider whose secret is empty is not configured."""

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode
from standardwebhooks.webhooks import Webhook

from services.bounces.domain.notices import Provider
from services.bounces.domain.verification import sendgrid, standard_webhooks
from shared.settings import ServiceSettings

Values = Annotated[tuple[str, ...], NoDecode]

_LOOPBACK_ORIGIN = re.compile(r"http://(127\.0\.0\.1|localhost):\d{1,5}")
_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?")


def _secret(description: str) -> Any:
    return Field(default=(), repr=False, description=description)


class BouncesSettings(ServiceSettings):
    port: int = 8003

    # Four group-commit transactions (usecases/group_commit.py), the relay, the consumer:
    # with 3 kept, the pool opened and closed an overflow connection every few groups
    # (14 in 6 s of the P4 bench), each with empty statement caches. Same peak of 6.
    db_pool_size: int = Field(default=5, ge=1, description="Database connections kept open.")
    db_max_overflow: int = Field(default=1, ge=0, description="Extra connections under load.")

    outbox_poll_seconds: float = Field(
        default=0.2,
        gt=0,
        description="How often the relay looks for new events: this outbox sends no NOTIFY "
        "(see the first migration), so the poll is what starts the relay.",
    )

    sendgrid_verification_key: Values = _secret(
        "SendGrid's Signed Event Webhook verification key, base64, as its console shows it."
    )
    mailgun_signing_key: Values = _secret("Mailgun's HTTP webhook signing key.")
    postmark_webhook_username: Values = _secret("The basic-auth user in Postmark's webhook URL.")
    postmark_webhook_password: Values = _secret("Its password.")
    sns_topic_arns: Values = Field(
        default=(), description="The SNS topics SES notifications may come from."
    )
    sns_certificate_file: Path | None = Field(
        default=None,
        description="Trusted SNS signing certificates (PEM); set, nothing is fetched.",
    )
    sns_confirm_subscriptions: bool = Field(
        default=True,
        description="Confirm SNS subscriptions (an outbound call); off: log the URL to visit.",
    )
    generic_webhook_secret: Values = _secret("Standard Webhooks secrets (whsec_...).")
    webhook_tolerance_seconds: int = Field(
        default=300, ge=1, le=86_400, description="How old a signed timestamp may be."
    )
    sns_allow_origin_for_tests: str | None = Field(
        default=None,
        description="Tests only: a loopback origin (http://127.0.0.1:PORT) standing for SNS, "
        "whose certificate and subscription URLs are then accepted. Never set in production.",
    )
    raw_event_retention_days: int = Field(
        default=90, ge=1, description="Raw requests and their notices are kept this long."
    )
    sent_message_retention_days: int = Field(
        default=180,
        ge=31,
        description="Messages stay in the index (to match late notices) this long.",
    )

    @field_validator(
        "sendgrid_verification_key",
        "mailgun_signing_key",
        "postmark_webhook_username",
        "postmark_webhook_password",
        "sns_topic_arns",
        "generic_webhook_secret",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("sendgrid_verification_key")
    @classmethod
    def _sendgrid_keys_load(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            sendgrid.load_public_key(value)
        return values

    @field_validator("generic_webhook_secret")
    @classmethod
    def _generic_secrets_load(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            standard_webhooks.load_secret(value)
        return values

    @field_validator("sns_topic_arns")
    @classmethod
    def _topic_arns(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not _TOPIC_ARN.fullmatch(value):
                raise ValueError(f"{value!r} is not an SNS topic ARN")
        return values

    @field_validator("sns_allow_origin_for_tests")
    @classmethod
    def _loopback_only(cls, value: str | None) -> str | None:
        if value is not None and not _LOOPBACK_ORIGIN.fullmatch(value):
            raise ValueError("SNS_ALLOW_ORIGIN_FOR_TESTS must be http://127.0.0.1:PORT")
        return value

    @model_validator(mode="after")
    def _postmark_pairs(self) -> "BouncesSettings":
        if bool(self.postmark_webhook_username) != bool(self.postmark_webhook_password):
            raise ValueError("set POSTMARK_WEBHOOK_USERNAME and POSTMARK_WEBHOOK_PASSWORD together")
        return self

    @property
    def webhook_tolerance(self) -> timedelta:
        return timedelta(seconds=self.webhook_tolerance_seconds)

    def is_configured(self, provider: Provider) -> bool:
        """Whether the provider's webhook is open (when not, its route answers 404)."""
        return bool(
            {
                Provider.SENDGRID: self.sendgrid_verification_key,
                Provider.MAILGUN: self.mailgun_signing_key,
                Provider.POSTMARK: self.postmark_webhook_password,
                Provider.SES: self.sns_topic_arns,
                Provider.GENERIC: self.generic_webhook_secret,
            }[provider]
        )

    def sendgrid_public_keys(self) -> tuple[ec.EllipticCurvePublicKey, ...]:
        return tuple(sendgrid.load_public_key(v) for v in self.sendgrid_verification_key)

    def generic_webhooks(self) -> tuple[Webhook, ...]:
        return tuple(standard_webhooks.load_secret(v) for v in self.generic_webhook_secret)

    def postmark_credentials(self) -> tuple[tuple[str, str], ...]:
        """Any configured user with any configured password: a rotation changes one."""
        return tuple(
            (username, password)
            for username in self.postmark_webhook_username
            for password in self.postmark_webhook_password
        )
