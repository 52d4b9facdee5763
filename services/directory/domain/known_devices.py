"""The known-device cookie: `<tenant id>.<token>.<signature>`, set after a successful
login. The token is random and only its hash is stored (with the user it belongs to);
the HMAC signature lets a forged or edited cookie be refused before any lookup."""

import base64
import hashlib
import hmac
import uuid

from shared.security.tokens import token_hash

SEPARATOR = "."


def device_secret(signing_material: str) -> bytes:
    """The HMAC key, derived from a secret the directory already holds (its token-signing
    key): nothing more to configure, and it changes when that key is rotated."""
    return hashlib.sha256(b"lms known-device cookie\x00" + signing_material.encode()).digest()


def _signature(secret: bytes, tenant_id: uuid.UUID, token: str) -> str:
    digest = hmac.new(secret, f"{tenant_id}{SEPARATOR}{token}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def device_cookie(secret: bytes, tenant_id: uuid.UUID, token: str) -> str:
    return SEPARATOR.join((str(tenant_id), token, _signature(secret, tenant_id, token)))


def parse_device_cookie(secret: bytes, value: str | None) -> tuple[uuid.UUID, bytes] | None:
    """The tenant and token hash of a well-signed cookie, else None."""
    if not value or not value.isascii():
        return None
    parts = value.split(SEPARATOR)
    if len(parts) != 3:
        return None
    tenant, token, signature = parts
    try:
        tenant_id = uuid.UUID(tenant)
    except ValueError:
        return None
    expected = _signature(secret, tenant_id, token)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    return tenant_id, token_hash(token)
