"""Postmark signs nothing: its webhooks carry HTTP basic credentials (set in the URL)."""

import base64
import binascii
import hmac
from collections.abc import Sequence

from services.bounces.domain.errors import NotAuthentic


def _credentials(authorization: str | None) -> tuple[bytes, bytes]:
    if not authorization:
        raise NotAuthentic("no Authorization header")
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise NotAuthentic(f"Authorization scheme {scheme[:20]!r}, expected Basic")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise NotAuthentic("Basic credentials are not base64") from None
    username, colon, password = decoded.partition(b":")
    if not colon:
        raise NotAuthentic("Basic credentials without a colon")
    return username, password


def verify(authorization: str | None, *, credentials: Sequence[tuple[str, str]]) -> None:
    """`credentials`: the accepted (username, password) pairs. Every pair is compared, in
    constant time, so the answer's timing tells nothing about which part was wrong."""
    username, password = _credentials(authorization)
    matched = False
    for expected_username, expected_password in credentials:
        same_user = hmac.compare_digest(username, expected_username.encode())
        same_password = hmac.compare_digest(password, expected_password.encode())
        matched |= same_user & same_password
    if not matched:
        raise NotAuthentic("the Basic credentials match no configured pair")
