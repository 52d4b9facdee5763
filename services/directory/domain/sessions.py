"""The session cookie: `<tenant id>.<token>`. Only the token's hash is stored."""

import uuid

from shared.security.tokens import token_hash

SEPARATOR = "."


def cookie_value(tenant_id: uuid.UUID, token: str) -> str:
    return f"{tenant_id}{SEPARATOR}{token}"


def parse_cookie(value: str) -> tuple[uuid.UUID, bytes] | None:
    """The tenant and token hash a session cookie names, or None if it is malformed."""
    tenant, _, token = value.partition(SEPARATOR)
    try:
        return uuid.UUID(tenant), token_hash(token)
    except ValueError:
        return None
