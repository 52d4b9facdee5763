"""A hook's delivery attempts, newest first, a page at a time (keyset cursor)."""

import uuid
from datetime import datetime

from services.webhooks.db import attempts as attempts_db
from services.webhooks.db import hooks as hooks_db
from services.webhooks.domain.callers import Caller
from services.webhooks.usecases.show_hooks import NO_SUCH_HOOK
from services.webhooks.usecases.views import AttemptsPage, AttemptView
from shared.errors import Malformed, NotFound
from shared.schemas import decode_cursor, encode_cursor
from shared.unit_of_work import UnitOfWork

BAD_CURSOR = "The cursor is not valid; start again from the first page."


async def list_attempts(
    uow: UnitOfWork, caller: Caller, hook_id: uuid.UUID, limit: int, cursor: str | None
) -> AttemptsPage:
    if await hooks_db.find_hook(uow.session, caller.tenant_id, hook_id) is None:
        raise NotFound(NO_SUCH_HOOK)
    before = _position(cursor) if cursor else None
    page = await attempts_db.page_attempts(uow.session, caller.tenant_id, hook_id, limit, before)
    items = [AttemptView.of(row) for row in page.items]
    last = items[-1] if items and page.more else None
    next_cursor = encode_cursor({"at": last.at.isoformat(), "id": str(last.id)}) if last else None
    return AttemptsPage(items, next_cursor, page.total)


def _position(cursor: str) -> tuple[datetime, uuid.UUID]:
    position = decode_cursor(cursor)
    try:
        return datetime.fromisoformat(str(position["at"])), uuid.UUID(str(position["id"]))
    except (KeyError, ValueError):
        raise Malformed(BAD_CURSOR) from None
