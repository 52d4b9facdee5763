"""The tenant's API keys, newest first (never the keys themselves)."""

from services.webhooks.db import api_keys as keys_db
from services.webhooks.domain.callers import Caller
from services.webhooks.usecases.views import ApiKeyView
from shared.unit_of_work import UnitOfWork


async def list_api_keys(uow: UnitOfWork, admin: Caller) -> list[ApiKeyView]:
    return [ApiKeyView.of(key) for key in await keys_db.list_keys(uow.session, admin.tenant_id)]
