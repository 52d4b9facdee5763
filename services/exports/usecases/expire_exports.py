"""Files past their time are removed, and their jobs marked expired."""

from datetime import UTC, datetime

from services.exports.adapters.storage import FileStorage
from services.exports.db import jobs as jobs_db
from services.exports.domain.jobs import JobState
from services.exports.usecases.claim_export import UnitsOfWork

BATCH = 100


async def expire_exports(units: UnitsOfWork, storage: FileStorage) -> int:
    """How many files were removed (a batch per transaction)."""
    removed = 0
    while True:
        async with units() as uow:
            jobs = await jobs_db.due_for_expiry(uow.session, datetime.now(UTC), BATCH)
            for job in jobs:
                if job.storage_key is not None:
                    await storage.delete(job.storage_key)
                job.state, job.storage_key = JobState.EXPIRED, None
        removed += len(jobs)
        if len(jobs) < BATCH:
            return removed
