"""Access tokens: short-lived JWTs the directory signs (Ed25519; its issuer is in
`services/directory/api/access_tokens.py`) and every service verifies with the directory's
public key."""

import uuid
from dataclasses import dataclass

import jwt

from shared.errors import Unauthenticated
from shared.security.permissions import Permission

ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user of one tenant, with their role's permissions."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: str
    permissions: frozenset[str]
    session_id: uuid.UUID | None = None

    def can(self, permission: Permission) -> bool:
        return permission.value in self.permissions


class AccessTokenVerifier:
    def __init__(self, public_key_pem: str, *, issuer: str, audience: str) -> None:
        if not public_key_pem.strip():
            raise ValueError("JWT_PUBLIC_KEY is not set: access tokens can't be verified")
        self._key = public_key_pem
        self._issuer = issuer
        self._audience = audience

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "iat", "sub", "tid", "role", "perms"]},
            )
            return Principal(
                user_id=uuid.UUID(claims["sub"]),
                tenant_id=uuid.UUID(claims["tid"]),
                role=str(claims["role"]),
                permissions=frozenset(claims["perms"]),
                session_id=uuid.UUID(claims["sid"]) if claims.get("sid") else None,
            )
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise Unauthenticated("The access token is invalid or has expired.") from error
