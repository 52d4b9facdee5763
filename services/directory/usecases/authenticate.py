"""Who is calling: the session behind an access token or a session cookie, checked against
the database on every request, so a logout or a deactivation takes effect at once."""

from datetime import UTC, datetime

from services.directory.db import sessions as sessions_db
from services.directory.domain.sessions import parse_cookie
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.security.access_tokens import Principal


async def authenticate(
    uow: DirectoryUnitOfWork, *, claimed: Principal | None, cookie: str | None
) -> Principal | None:
    """`claimed`: what a verified access token says; else the session `cookie`. None when
    neither names a live session of an active user."""
    now = datetime.now(UTC)
    if claimed is not None:
        if claimed.session_id is None:
            return None
        return await sessions_db.principal_for_session(
            uow.session, claimed.tenant_id, claimed.session_id, now
        )
    parsed = parse_cookie(cookie) if cookie else None
    if parsed is None:
        return None
    tenant_id, hashed = parsed
    return await sessions_db.principal_for_token(uow.session, tenant_id, hashed, now)
