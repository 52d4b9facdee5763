"""An administrator revokes an API key: every route refuses it from the next request,
and the hooks it created stop delivering (disabled, so an admin can see and re-enable)."""

import uuid
from datetime import UTC, datetime

from services.webhooks.db import api_keys as keys_db
from services.webhooks.db import deliveries as deliveries_db
from services.webhooks.db import hooks as hooks_db
from services.webhooks.domain.callers import Caller
from shared.errors import NotFound
from shared.unit_of_work import UnitOfWork

KEY_REVOKED = "disabled: the API key it was created with was revoked"


async def revoke_api_key(uow: UnitOfWork, admin: Caller, key_id: uuid.UUID) -> None:
    now = datetime.now(UTC)
    key = await keys_db.revoke(uow.session, admin.tenant_id, key_id, now)
    if key is None:
        raise NotFound("There is no API key with this id.")
    disabled = await hooks_db.disable_made_with_key(
        uow.session, admin.tenant_id, key_id, now, KEY_REVOKED
    )
    await deliveries_db.fail_undelivered(
        uow.session, [(admin.tenant_id, hook_id) for hook_id in disabled], now
    )
