"""The Amazon SNS envelope an HTTP(S) subscription receives (SES notifications come in it)."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.bounces.domain.errors import MalformedNotice
from services.bounces.domain.payload import Fields, as_object, check_body_size, parse_json

# An SNS message is at most 256 KiB; escaped as a JSON string inside the envelope, with
# the signature and URLs around it, it stays well under this.
MAX_BODY_BYTES = 512 * 1024


class SnsMessageType(StrEnum):
    NOTIFICATION = "Notification"
    SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
    UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"


@dataclass(frozen=True)
class SnsEnvelope:
    """The fields exactly as sent: the signature covers them in this form."""

    type: SnsMessageType
    message_id: str
    topic_arn: str
    message: str
    timestamp: str
    sent_at: datetime
    signature_version: str
    signature: str
    signing_cert_url: str
    subject: str | None = None  # notifications only, and only when the publisher gave one
    subscribe_url: str | None = None  # confirmations only
    token: str | None = None  # confirmations only
    unsubscribe_url: str | None = None

    @property
    def is_notification(self) -> bool:
        return self.type is SnsMessageType.NOTIFICATION


def _raw_text(fields: Fields, key: str) -> str:
    """A required string kept byte for byte (no stripping: it is signed as is)."""
    fields.text(key)
    value: str = fields.data[key]
    return value


def _optional_raw(fields: Fields, key: str) -> str | None:
    value = fields.data.get(key)
    if value is not None and not isinstance(value, str):
        fields.optional_text(key)  # raises, naming the field
    return value


def parse_envelope(body: bytes) -> SnsEnvelope:
    check_body_size(body, MAX_BODY_BYTES)
    fields = as_object(parse_json(body), "$")
    raw_type = fields.text("Type")
    try:
        message_type = SnsMessageType(raw_type)
    except ValueError:
        known = ", ".join(t.value for t in SnsMessageType)
        raise MalformedNotice(fields.at("Type"), f"{raw_type!r} is not one of {known}") from None
    confirmation = message_type is not SnsMessageType.NOTIFICATION
    return SnsEnvelope(
        type=message_type,
        message_id=_raw_text(fields, "MessageId"),
        topic_arn=_raw_text(fields, "TopicArn"),
        message=_raw_text(fields, "Message"),
        timestamp=_raw_text(fields, "Timestamp"),
        sent_at=fields.iso_time("Timestamp"),
        signature_version=_raw_text(fields, "SignatureVersion"),
        signature=_raw_text(fields, "Signature"),
        signing_cert_url=_raw_text(fields, "SigningCertURL"),
        subject=None if confirmation else _optional_raw(fields, "Subject"),
        subscribe_url=_raw_text(fields, "SubscribeURL") if confirmation else None,
        token=_raw_text(fields, "Token") if confirmation else None,
        unsubscribe_url=_optional_raw(fields, "UnsubscribeURL"),
    )
