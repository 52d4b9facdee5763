"""The operator commands' wiring (imported only when one runs)."""

from datetime import datetime

from services.bounces.settings import BouncesSettings
from services.bounces.usecases.replay import ReplayReport, replay
from shared.db import Database
from shared.unit_of_work import UnitOfWork, unit_of_work


async def run_replay(
    settings: BouncesSettings, since: datetime, until: datetime | None
) -> ReplayReport:
    """Events go to the outbox; the running service's relay publishes them."""
    db = Database(settings.sqlalchemy_url, pool_size=1, max_overflow=0)
    try:
        return await replay(lambda: unit_of_work(db, UnitOfWork), since, until)
    finally:
        await db.dispose()
