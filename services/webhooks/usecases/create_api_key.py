"""An administrator creates an integration's API key: random, shown once, kept hashed."""

from services.webhooks.db import api_keys as keys_db
from services.webhooks.domain.callers import Caller, KeyIdentity, shown_prefix
from services.webhooks.usecases.views import NewApiKey
from shared.security.tokens import new_token, token_hash
from shared.unit_of_work import UnitOfWork


async def create_api_key(uow: UnitOfWork, admin: Caller, name: str, key_prefix: str) -> NewApiKey:
    key = new_token(key_prefix)
    prefix = shown_prefix(key, key_prefix)
    row = await keys_db.add_key(
        uow.session, admin.tenant_id, name, prefix, token_hash(key), admin.user_id
    )
    return NewApiKey(KeyIdentity(row.tenant_id, row.id, row.name, prefix), key, row.created_at)
