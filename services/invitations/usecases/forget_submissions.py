"""Submission counts whose window is over are of no use: forget them."""

from datetime import datetime, timedelta

from services.invitations.db import throttle as throttle_db
from shared.unit_of_work import UnitOfWork


async def forget_old_submissions(uow: UnitOfWork, now: datetime, window: timedelta) -> None:
    await throttle_db.purge_expired(uow.session, now, window)
