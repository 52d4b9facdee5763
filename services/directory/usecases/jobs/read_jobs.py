"""Reading jobs: one, the tenant's list, cancelling, and each item's outcome for the CSV."""

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

from services.directory.db import imports as imports_db
from services.directory.db import jobs as jobs_db
from services.directory.db.job_tables import ImportRowRecord, Job, JobItem, UserImport
from services.directory.domain.import_rows import RowPlan
from services.directory.domain.jobs import JobKind, JobState, ListedJob, can_cancel
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.errors import Conflict, Gone, NotFound
from shared.security.access_tokens import Principal


async def get_job(
    uow: DirectoryUnitOfWork, actor: Principal, job_id: uuid.UUID, kind: JobKind
) -> Job:
    job = await jobs_db.get_job(uow.session, actor.tenant_id, job_id)
    if job is None or job.kind is not kind:
        raise NotFound("There is no such job.")
    return job


async def list_jobs(
    uow: DirectoryUnitOfWork,
    actor: Principal,
    kind: JobKind,
    limit: int,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> tuple[list[ListedJob], int]:
    """A page of the tenant's jobs (newest first, keyset) and how many there are."""
    page = await jobs_db.list_jobs(uow.session, actor.tenant_id, kind, limit, before)
    return page, await jobs_db.count_jobs(uow.session, actor.tenant_id, kind)


async def cancel_job(
    uow: DirectoryUnitOfWork, actor: Principal, job_id: uuid.UUID, kind: JobKind
) -> Job:
    """A queued job ends at once; a running one after the batch under way."""
    job = await jobs_db.get_job(uow.session, actor.tenant_id, job_id, for_update=True)
    if job is None or job.kind is not kind:
        raise NotFound("There is no such job.")
    if not can_cancel(job.state):
        raise Conflict(f"This job is {job.state.value}: there is nothing left to cancel.")
    job.cancel_requested = True
    if job.state is JobState.QUEUED:
        job.state = JobState.CANCELLED
    return job


async def job_items(
    uow: DirectoryUnitOfWork, actor: Principal, job_id: uuid.UUID
) -> AsyncIterator[JobItem]:
    job = await get_job(uow, actor, job_id, JobKind.BULK)
    if job.state is JobState.EXPIRED:
        raise Gone("The results of this job are no longer kept.")
    async for item in jobs_db.all_items(uow.session, job):
        yield item


async def get_import(
    uow: DirectoryUnitOfWork, actor: Principal, import_id: uuid.UUID
) -> tuple[UserImport, Job | None]:
    record = await imports_db.get_import(uow.session, actor.tenant_id, import_id)
    if record is None:
        raise NotFound("There is no such import.")
    job = (
        await jobs_db.get_job(uow.session, actor.tenant_id, record.job_id)
        if record.job_id
        else None
    )
    return record, job


async def import_rows(
    uow: DirectoryUnitOfWork, actor: Principal, import_id: uuid.UUID
) -> AsyncIterator[ImportRowRecord]:
    await get_import(uow, actor, import_id)
    async for row in imports_db.all_rows(uow.session, actor.tenant_id, import_id):
        yield row


async def list_imports(
    uow: DirectoryUnitOfWork, actor: Principal, limit: int
) -> list[tuple[UserImport, Job | None]]:
    return await imports_db.list_imports(uow.session, actor.tenant_id, limit)


async def import_rows_page(
    uow: DirectoryUnitOfWork,
    actor: Principal,
    import_id: uuid.UUID,
    after_row: int,
    limit: int,
    plan: RowPlan | None,
) -> list[ImportRowRecord]:
    return await imports_db.rows_page(
        uow.session, actor.tenant_id, import_id, after_row, limit, plan
    )
