"""Logging out: the session stops working at once (its access tokens with it)."""

from datetime import UTC, datetime

from services.directory.db import sessions as sessions_db
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.security.access_tokens import Principal


async def log_out(uow: DirectoryUnitOfWork, principal: Principal) -> None:
    if principal.session_id is not None:
        await sessions_db.revoke_session(
            uow.session, principal.tenant_id, principal.session_id, datetime.now(UTC)
        )
