"""SendGrid's Signed Event Webhook: ECDSA P-256 / SHA-256 over timestamp + raw body."""

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from services.bounces.domain.errors import InvalidKey, NotAuthentic
from services.bounces.domain.verification.freshness import (
    DEFAULT_TOLERANCE,
    check_fresh,
    unix_seconds,
)

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """The verification key as SendGrid's console shows it (base64 of the DER public key,
    no PEM framing); a PEM is accepted too."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error) as error:
        raise InvalidKey(f"not a public key: {error}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InvalidKey("not an ECDSA P-256 public key")
    return key


def _signature(value: str | None) -> bytes:
    if not value:
        raise NotAuthentic(f"no {SIGNATURE_HEADER} header")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise NotAuthentic("the signature is not base64") from None


def _signed_by(key: ec.EllipticCurvePublicKey, signature: bytes, content: bytes) -> bool:
    try:
        key.verify(signature, content, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def verify(
    body: bytes,
    *,
    signature: str | None,
    timestamp: str | None,
    keys: Sequence[ec.EllipticCurvePublicKey],
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    """`signature` and `timestamp` are the two headers' values (None when absent)."""
    raw_signature = _signature(signature)
    signed_at = unix_seconds(timestamp, f"{TIMESTAMP_HEADER} header")
    check_fresh(signed_at, now, tolerance)
    content = (timestamp or "").encode() + body
    if not any(_signed_by(key, raw_signature, content) for key in keys):
        raise NotAuthentic("the signature matches no configured verification key")
