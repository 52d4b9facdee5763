"""Reminders: one per open invitation whose link expires soon."""

from datetime import datetime, timedelta

from services.invitations.db import deliveries as deliveries_db
from shared.unit_of_work import UnitOfWork


async def plan_reminders(uow: UnitOfWork, now: datetime, before: timedelta, limit: int) -> int:
    """Queue up to `limit` reminders for links expiring within `before`; how many."""
    return await deliveries_db.plan_reminders(uow.session, now, before, limit)
