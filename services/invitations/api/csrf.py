"""CSRF protection without a session: a signed double-submit token.

The browser holds a random nonce in a SameSite=Strict cookie; the form carries
HMAC(secret, nonce + link), which a forged cross-site form can't know or reproduce."""

import base64
import hashlib
import hmac
import re
import secrets

from starlette.responses import Response

_NONCE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
COOKIE_MAX_AGE = 24 * 3600


class CsrfGuard:
    def __init__(self, secret: bytes, *, secure: bool) -> None:
        self._secret = secret
        self._secure = secure
        # The __Host- prefix pins the cookie to this host, path /, HTTPS only.
        self.cookie_name = "__Host-invite-csrf" if secure else "invite-csrf"

    def nonce(self, cookie: str | None) -> str:
        """The browser's nonce if it has a well-formed one (other tabs keep working)."""
        return cookie if cookie and _NONCE_SHAPE.match(cookie) else secrets.token_urlsafe(32)

    def form_token(self, nonce: str, link_token: str) -> str:
        message = f"{nonce}:{hashlib.sha256(link_token.encode()).hexdigest()}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def is_valid(self, cookie: str | None, submitted: str, link_token: str) -> bool:
        if not cookie or not submitted or not _NONCE_SHAPE.match(cookie):
            return False
        # As bytes: compare_digest refuses str holding anything but ASCII.
        expected = self.form_token(cookie, link_token).encode()
        return hmac.compare_digest(expected, submitted.encode("utf-8", "surrogateescape"))

    def set_cookie(self, response: Response, nonce: str) -> None:
        response.set_cookie(
            self.cookie_name,
            nonce,
            max_age=COOKIE_MAX_AGE,
            path="/",
            secure=self._secure,
            httponly=True,
            samesite="strict",
        )
