"""The access tokens the directory issues: short-lived EdDSA (Ed25519) JWTs that every
service verifies with the directory's public key (`shared.security.access_tokens`), which
the directory publishes as a JWKS. Only the directory holds the private key."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)
from jwt.algorithms import OKPAlgorithm

from shared.security.access_tokens import ALGORITHM, Principal


class AccessTokenIssuer:
    def __init__(self, private_key_pem: str, *, issuer: str, audience: str, ttl: timedelta) -> None:
        self._private_key = signing_key(private_key_pem)
        self._issuer = issuer
        self._audience = audience
        self.ttl = ttl

    @property
    def public_key_pem(self) -> str:
        public = self._private_key.public_key()
        return public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public key as a JSON Web Key Set (RFC 7517, OKP keys: RFC 8037)."""
        key = OKPAlgorithm.to_jwk(self._private_key.public_key(), as_dict=True)
        return {"keys": [{**key, "alg": ALGORITHM, "use": "sig"}]}

    def issue(self, principal: Principal) -> str:
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": str(principal.user_id),
            "tid": str(principal.tenant_id),
            "role": principal.role,
            "perms": sorted(principal.permissions),
            "sid": str(principal.session_id) if principal.session_id else None,
            "iat": now,
            "exp": now + self.ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._private_key, algorithm=ALGORITHM)


def signing_key(private_key_pem: str) -> Ed25519PrivateKey:
    if not private_key_pem.strip():
        raise ValueError(
            "JWT_PRIVATE_KEY is not set: generate one with `python -m services.directory keygen`"
        )
    key = load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("JWT_PRIVATE_KEY must be an Ed25519 private key (PEM)")
    return key
