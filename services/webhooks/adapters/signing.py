"""Standard Webhooks signatures (the `standardwebhooks` package) and subscription secrets."""

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 (a format marker, not a secret)
SECRET_BYTES = 32  # the spec asks for 24 to 64 random bytes


def new_signing_secret() -> str:
    """A subscription's secret, shown once to the subscriber: `whsec_` + base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signature_headers(
    secret: str, message_id: str, timestamp: datetime, body: bytes
) -> dict[str, str]:
    """The three headers a receiver verifies `body` with. `timestamp` must be aware: it is
    sent as Unix seconds and receivers refuse one more than 5 minutes off their clock."""
    if not message_id or "." in message_id:
        raise ValueError(
            "a webhook id must be non-empty and contain no '.' (it delimits the signed text)"
        )
    if timestamp.tzinfo is None:
        raise ValueError("the signing timestamp must be timezone-aware")
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, timestamp, body),
    }
