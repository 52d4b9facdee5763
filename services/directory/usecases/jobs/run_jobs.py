"""One pass of the job runner: claim the oldest job no live worker holds, run one batch of
it, and record the progress with the batch's changes in the same transaction.

The job's row stays locked (`FOR UPDATE SKIP LOCKED`) while its batch runs, and its lease
names this worker for `lease` more: another replica skips it meanwhile. A worker killed
mid-batch loses that batch's transaction whole (nothing of it was done) and its lease runs
out, so another worker resumes the job where the last committed batch left it: an item is
done exactly once.
"""

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.directory.db import bulk as bulk_db
from services.directory.db import imports as imports_db
from services.directory.db import jobs as jobs_db
from services.directory.db.job_tables import Job
from services.directory.domain.jobs import JobKind, JobState
from services.directory.usecases.bulk.run_batch import run_bulk_batch, start_bulk_job
from services.directory.usecases.imports.apply_import import apply_import_batch
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork


@dataclass(frozen=True)
class RunnerSettings:
    owner: uuid.UUID
    lease: timedelta
    batch_size: int
    smtputf8: bool = False  # EMAIL_SMTPUTF8, for the addresses an import brings


async def _run_batch(
    uow: DirectoryUnitOfWork, job: Job, runner: RunnerSettings, batch_size: int
) -> Counter[str]:
    if job.kind is JobKind.IMPORT:
        return await apply_import_batch(uow, job, batch_size, smtputf8=runner.smtputf8)
    return await run_bulk_batch(uow, job, batch_size)


async def run_next_batch(
    uow: DirectoryUnitOfWork,
    runner: RunnerSettings,
    batch_size: Callable[[uuid.UUID], int],
    claimed: Callable[[uuid.UUID], None],
) -> bool:
    """Whether a job was found (there may be more to do at once). `claimed` is told which
    job this pass took; `batch_size` says how many of its items to run now (one at a time
    after one of its batches failed), and is not asked when the pass only starts the job."""
    now = datetime.now(UTC)
    job = await jobs_db.claim_job(uow.session, runner.owner, now)
    if job is None:
        return False
    claimed(job.id)
    if job.cancel_requested:
        if job.kind is JobKind.BULK and job.state is JobState.RUNNING:
            await bulk_db.merge_pending_index_entries(uow.session)  # what its batches left
        _finish(job, JobState.CANCELLED, now)
        return True
    if job.state is JobState.QUEUED:
        job.state, job.started_at = JobState.RUNNING, now
        if job.kind is JobKind.BULK:
            await start_bulk_job(uow, job)
            _lease(job, runner, now)
            return True
    counts = await _run_batch(uow, job, runner, batch_size(job.id))
    _progress(job, counts)
    if not counts:
        _finish(job, JobState.DONE, datetime.now(UTC))
    else:
        _lease(job, runner, now)
    return True


def _progress(job: Job, counts: Counter[str]) -> None:
    job.processed += sum(counts.values())
    job.counts = dict(Counter(job.counts) + counts)


def _lease(job: Job, runner: RunnerSettings, now: datetime) -> None:
    job.lease_owner, job.lease_expires_at = runner.owner, now + runner.lease


def _finish(job: Job, state: JobState, now: datetime) -> None:
    job.state, job.finished_at = state, now
    job.lease_owner = job.lease_expires_at = None


async def expire_old(uow: DirectoryUnitOfWork, limit: int = 100) -> int:
    """Forget what was kept past its week: finished jobs' items, old imports' rows."""
    now = datetime.now(UTC)
    return await jobs_db.expire_finished(uow.session, now, limit) + await imports_db.delete_expired(
        uow.session, now, limit
    )


async def fail_job(
    uow: DirectoryUnitOfWork, runner: RunnerSettings, job_id: uuid.UUID, reason: str
) -> bool:
    """The job could not start (its group deleted since the preview, a custom field its
    filters name removed, ...): it ends as failed, with why, instead of being tried again
    and again. False: the job was finished or taken by another worker meanwhile."""
    now = datetime.now(UTC)
    job = await jobs_db.claim_job(uow.session, runner.owner, now, job_id)
    if job is None:
        return False
    _finish(job, JobState.FAILED, now)
    job.error = reason[:500]
    return True


async def fail_next_item(uow: DirectoryUnitOfWork, runner: RunnerSettings, reason: str) -> bool:
    """The job's next item could not be done even alone: recorded as failed, with why, so
    the job goes on with the others."""
    job = await jobs_db.claim_job(uow.session, runner.owner, datetime.now(UTC))
    if job is None:
        return False
    if job.kind is JobKind.IMPORT:
        await imports_db.fail_next_row(uow.session, job, reason)
    else:
        await jobs_db.fail_next_item(uow.session, job, reason)
    _progress(job, Counter({"failed": 1}))
    return True
