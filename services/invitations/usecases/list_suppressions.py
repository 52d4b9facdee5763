"""The tenant's suppression list, newest first, a page at a time."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from services.invitations.db import suppressions
from services.invitations.domain.suppression import SuppressionRecord
from shared.unit_of_work import UnitOfWork


async def list_suppressions(
    uow: UnitOfWork, tenant_id: uuid.UUID, limit: int, before: tuple[datetime, str] | None
) -> Sequence[SuppressionRecord]:
    """At most `limit` listings older than `before` (listed at, address)."""
    return await suppressions.page(uow.session, tenant_id, limit, before)
