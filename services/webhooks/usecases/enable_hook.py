"""A disabled hook is enabled again: new events are delivered to it from now on."""

import uuid

from services.webhooks.db import hooks as hooks_db
from services.webhooks.domain.callers import Caller
from services.webhooks.usecases.show_hooks import NO_SUCH_HOOK
from services.webhooks.usecases.views import HookView
from shared.errors import NotFound
from shared.unit_of_work import UnitOfWork


async def enable_hook(uow: UnitOfWork, caller: Caller, hook_id: uuid.UUID) -> HookView:
    hook = await hooks_db.find_hook(uow.session, caller.tenant_id, hook_id, for_update=True)
    if hook is None:
        raise NotFound(NO_SUCH_HOOK)
    return HookView.of(await hooks_db.enable(uow.session, hook))
