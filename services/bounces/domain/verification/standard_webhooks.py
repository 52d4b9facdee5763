"""Standard Webhooks (HMAC-SHA256, `v1,` signatures), with the `standardwebhooks` package.

Its `Webhook.verify` fixes the window at 5 minutes of the wall clock; here the window is a
setting and the clock is given, so the library signs (`Webhook.sign`, which also decodes the
`whsec_` secret) and the signatures are compared here, in constant time."""

import binascii
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from services.bounces.domain.errors import InvalidKey, NotAuthentic
from services.bounces.domain.verification.freshness import (
    DEFAULT_TOLERANCE,
    check_fresh,
    unix_seconds,
)


def load_secret(secret: str) -> Webhook:
    """A `whsec_...` secret (base64 after the prefix)."""
    try:
        return Webhook(secret.strip())
    except (binascii.Error, EmptyWebhookSecretError, ValueError) as error:
        raise InvalidKey(f"not a Standard Webhooks secret: {error}") from None


def verify(
    body: bytes,
    headers: Mapping[str, str],
    *,
    secrets: Sequence[Webhook],
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> str:
    """Returns the `webhook-id` (the message's id: a retry has the same one)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get("webhook-id")
    if not message_id:
        raise NotAuthentic("no webhook-id header")
    raw_timestamp = lowered.get("webhook-timestamp")
    signed_at = unix_seconds(raw_timestamp, "webhook-timestamp header")
    given = (lowered.get("webhook-signature") or "").split()
    if not given:
        raise NotAuthentic("no webhook-signature header")
    check_fresh(signed_at, now, tolerance)
    for webhook in secrets:
        expected = webhook.sign(message_id, signed_at, body).encode()
        if any(hmac.compare_digest(expected, candidate.encode()) for candidate in given):
            return message_id
    raise NotAuthentic("no webhook-signature entry matches a configured secret")
