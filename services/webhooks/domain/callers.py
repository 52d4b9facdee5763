"""Who calls the API: an integration's API key, or an administrator of the tenant."""

import uuid
from dataclasses import dataclass

# How many characters of the key, after its prefix, are shown to tell keys apart.
SHOWN_KEY_CHARACTERS = 4


@dataclass(frozen=True)
class KeyIdentity:
    """An API key as its owner sees it (never the key itself)."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    name: str
    prefix: str  # e.g. lms_live_abcd: the key's prefix and its first characters

    @property
    def label(self) -> str:
        """The connection's name in Zapier: which key of which name."""
        return f"{self.name} ({self.prefix}…)"


@dataclass(frozen=True)
class Caller:
    tenant_id: uuid.UUID
    key: KeyIdentity | None = None  # an integration with an API key
    user_id: uuid.UUID | None = None  # an administrator with an access token


def shown_prefix(key: str, key_prefix: str) -> str:
    """The part of a key kept to recognise it: its prefix and a few characters."""
    return key[: len(key_prefix) + SHOWN_KEY_CHARACTERS]


def looks_like_key(value: str, key_prefix: str) -> bool:
    """Whether a bearer credential is one of our API keys (rather than an access token)."""
    return value.startswith(key_prefix)
