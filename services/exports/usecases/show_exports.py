"""An admin's jobs: the recent ones, one, and its file."""

import uuid
from dataclasses import dataclass

from services.exports.adapters.storage import FileStorage, StoredFile
from services.exports.db import jobs as jobs_db
from services.exports.db.models import Job
from services.exports.domain.jobs import JobState, byte_range
from shared.errors import Conflict, Gone, NotFound
from shared.security.access_tokens import Principal
from shared.unit_of_work import UnitOfWork

NOT_FOUND = "There is no such export."


async def recent_exports(uow: UnitOfWork, admin: Principal, limit: int) -> list[Job]:
    return await jobs_db.recent_jobs(uow.session, admin.tenant_id, admin.user_id, limit)


async def show_export(uow: UnitOfWork, admin: Principal, job_id: uuid.UUID) -> Job:
    job = await jobs_db.get_job(uow.session, admin.tenant_id, job_id)
    if job is None:
        raise NotFound(NOT_FOUND)
    return job


@dataclass(frozen=True)
class Download:
    job: Job
    file: StoredFile
    start: int
    end: int  # inclusive
    partial: bool  # a range of the file


async def open_export_file(
    uow: UnitOfWork,
    admin: Principal,
    job_id: uuid.UUID,
    storage: FileStorage,
    range_header: str | None = None,
) -> Download:
    """The file of a finished job of the admin's tenant, or the one range asked for."""
    job = await show_export(uow, admin, job_id)
    if job.state is JobState.EXPIRED:
        raise Gone("This export has expired and its file was removed: export again.")
    if job.state is not JobState.DONE or job.storage_key is None:
        raise Conflict(f"This export is {job.state.value}: its file is not ready.")
    asked = byte_range(range_header, job.size_bytes or 0)
    start, end = asked if asked else (0, None)
    try:
        stored = await storage.read(job.storage_key, start, end)
    except FileNotFoundError:
        raise Gone("This export's file was removed: export again.") from None
    last = stored.size - 1 if end is None else end
    return Download(job, stored, start, last, partial=asked is not None)
