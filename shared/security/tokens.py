"""Random secret tokens (session cookies, invitation links, API keys), stored only hashed.

The tokens carry 256 bits from the OS's CSPRNG, so a fast hash (SHA-256) is enough to
make a stolen database useless without making every lookup slow.
"""

import hashlib
import secrets


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
