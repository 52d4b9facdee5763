"""A client unsubscribes (Zapier, when a Zap is turned off): the hook, its queue and its
attempts are deleted."""

import uuid

from services.webhooks.db import hooks as hooks_db
from services.webhooks.domain.callers import Caller
from services.webhooks.usecases.show_hooks import NO_SUCH_HOOK
from shared.errors import NotFound
from shared.unit_of_work import UnitOfWork


async def unsubscribe(uow: UnitOfWork, caller: Caller, hook_id: uuid.UUID) -> None:
    if not await hooks_db.delete_hook(uow.session, caller.tenant_id, hook_id):
        raise NotFound(NO_SUCH_HOOK)
