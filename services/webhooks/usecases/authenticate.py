"""Who an API key belongs to; an unknown or revoked key is refused at once."""

from datetime import UTC, datetime, timedelta

from services.webhooks.db import api_keys as keys_db
from services.webhooks.domain.callers import KeyIdentity
from shared.errors import Unauthenticated
from shared.security.tokens import token_hash
from shared.unit_of_work import UnitOfWork

# A key's "last used" is written at most this often: not one write per request.
LAST_USED_PRECISION = timedelta(minutes=1)
REFUSED = "The API key is unknown or has been revoked."


async def authenticate_key(uow: UnitOfWork, key: str) -> KeyIdentity:
    found = await keys_db.find_usable(uow.session, token_hash(key))
    if found is None:
        raise Unauthenticated(REFUSED)
    await keys_db.touch(uow.session, found, datetime.now(UTC), LAST_USED_PRECISION)
    return KeyIdentity(found.tenant_id, found.id, found.name, found.prefix, found.created_by)
