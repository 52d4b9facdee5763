"""The console's cookie, encrypted and authenticated (Fernet: AES-128-CBC + HMAC-SHA256),
and the CSRF tokens derived from its nonce. Both keys come from COOKIE_SECRET (HKDF), so
the browser holds the directory session token without being able to read or change it."""

import base64
import hashlib
import hmac
import json
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.admin.domain.session import ConsoleSession


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


class CookieSealer:
    def __init__(self, secret: str, max_age_seconds: int) -> None:
        key = base64.urlsafe_b64encode(_derive(secret, b"lms-admin cookie"))
        self._fernet = Fernet(key)
        self._csrf_key = _derive(secret, b"lms-admin csrf")
        self.max_age_seconds = max_age_seconds

    def seal(self, session: ConsoleSession) -> str:
        return self._fernet.encrypt(json.dumps(session.to_dict()).encode()).decode()

    def open(self, value: str | None) -> ConsoleSession | None:
        """The session in the cookie, or None if it is absent, forged, or too old."""
        if not value:
            return None
        try:
            data = json.loads(self._fernet.decrypt(value.encode(), ttl=self.max_age_seconds))
            return ConsoleSession.from_dict(data)
        except (InvalidToken, ValueError, KeyError, TypeError):
            return None

    def csrf_token(self, session: ConsoleSession) -> str:
        digest = hmac.new(self._csrf_key, session.nonce.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def csrf_valid(self, session: ConsoleSession, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(self.csrf_token(session), str(submitted))
