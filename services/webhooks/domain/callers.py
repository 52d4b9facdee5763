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
    created_by: uuid.UUID | None = None  # the administrator who created it

    @property
    def label(self) -> str:
        """The connection's name in Zapier: which key of which name."""
        return f"{self.name} ({self.prefix}…)"


@dataclass(frozen=True)
class Caller:
    tenant_id: uuid.UUID
    key: KeyIdentity | None = None  # an integration with an API key
    user_id: uuid.UUID | None = None  # an administrator with an access token


# Request ids of invitations, derived from the caller and their Idempotency-Key.
_INVITATION_REQUESTS = uuid.UUID("0b6f2c1e-8d4a-4f3b-9e57-2a1c6d8e9f30")


def acting_admin(caller: Caller) -> uuid.UUID | None:
    """Whom the caller acts for in the directory: the administrator who created the API
    key, or the administrator calling with their access token."""
    return caller.key.created_by if caller.key is not None else caller.user_id


def acting_via(caller: Caller) -> str:
    """How the caller acts, as the directory records it with what it did."""
    return f"API key {caller.key.prefix}" if caller.key is not None else "webhooks API"


def invitation_request_id(caller: Caller, idempotency_key: str | None) -> uuid.UUID:
    """The same caller with the same Idempotency-Key makes the same request (one user
    however often it is sent); without a key, every request is a new one."""
    if idempotency_key is None:
        return uuid.uuid4()
    who = caller.key.id if caller.key is not None else caller.user_id
    return uuid.uuid5(_INVITATION_REQUESTS, f"{caller.tenant_id}/{who}/{idempotency_key}")


def shown_prefix(key: str, key_prefix: str) -> str:
    """The part of a key kept to recognise it: its prefix and a few characters."""
    return key[: len(key_prefix) + SHOWN_KEY_CHARACTERS]


def looks_like_key(value: str, key_prefix: str) -> bool:
    """Whether a bearer credential is one of our API keys (rather than an access token)."""
    return value.startswith(key_prefix)
