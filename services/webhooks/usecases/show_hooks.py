"""The tenant's hooks with their state and how their deliveries are going."""

import uuid

from services.webhooks.db import hooks as hooks_db
from services.webhooks.domain.callers import Caller
from services.webhooks.usecases.views import HookView
from shared.errors import NotFound
from shared.unit_of_work import UnitOfWork

NO_SUCH_HOOK = "There is no hook with this id."


async def list_hooks(uow: UnitOfWork, caller: Caller) -> list[HookView]:
    return [HookView.of(hook) for hook in await hooks_db.list_hooks(uow.session, caller.tenant_id)]


async def show_hook(uow: UnitOfWork, caller: Caller, hook_id: uuid.UUID) -> HookView:
    hook = await hooks_db.find_hook(uow.session, caller.tenant_id, hook_id)
    if hook is None:
        raise NotFound(NO_SUCH_HOOK)
    return HookView.of(hook)
