"""Mailgun: HMAC-SHA256 of timestamp + token with the webhook signing key, in the body."""

import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from services.bounces.domain.errors import NotAuthentic
from services.bounces.domain.verification.freshness import (
    DEFAULT_TOLERANCE,
    check_fresh,
    unix_seconds,
)


def _signature_block(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError:
        raise NotAuthentic("the body is not JSON, so it carries no signature") from None
    block = document.get("signature") if isinstance(document, dict) else None
    if not isinstance(block, dict):
        raise NotAuthentic("no signature object in the body")
    return block


def _text(block: dict[str, Any], key: str) -> str:
    value = block.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise NotAuthentic(f"no signature.{key}")
    return value


def verify(
    body: bytes,
    *,
    signing_keys: Sequence[str],
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> str:
    """Returns the token: Mailgun's tokens are single-use, so the caller refuses one it has
    seen (keeping them for the tolerance window is enough: older requests are stale)."""
    block = _signature_block(body)
    timestamp, token = _text(block, "timestamp"), _text(block, "token")
    given = _text(block, "signature").lower().encode()
    check_fresh(unix_seconds(timestamp, "signature.timestamp"), now, tolerance)
    content = f"{timestamp}{token}".encode()
    expected = (hmac.new(k.encode(), content, hashlib.sha256).hexdigest() for k in signing_keys)
    if not any(hmac.compare_digest(e.encode(), given) for e in expected):
        raise NotAuthentic("the signature matches no configured signing key")
    return token
