"""Failure counts older than the time after which they start over, and no longer making
anyone wait, are of no use: forget them."""

from datetime import datetime, timedelta

from services.directory.db import login_failures as failures_db
from shared.unit_of_work import UnitOfWork


async def forget_login_failures(uow: UnitOfWork, now: datetime, reset_after: timedelta) -> int:
    return await failures_db.purge(uow.session, now, now - reset_after)
