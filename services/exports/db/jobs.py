"""Export jobs: requested, claimed by a worker (SKIP LOCKED, under a lease it renews),
finished, failed, expired. Every change a worker makes is conditioned on its claim's token:
a worker that lost its claim (it stalled past the lease) changes nothing."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.exports.db.models import Job
from services.exports.domain.jobs import JobState

# The table's name, also the channel its insert trigger notifies (see the migration).
JOBS_CHANNEL = "export_jobs"


def add_job(session: AsyncSession, **values: Any) -> Job:
    job = Job(**values)
    session.add(job)
    return job


async def get_job(session: AsyncSession, tenant_id: uuid.UUID, job_id: uuid.UUID) -> Job | None:
    return await session.get(Job, (tenant_id, job_id))


async def recent_jobs(
    session: AsyncSession, tenant_id: uuid.UUID, requested_by: uuid.UUID, limit: int
) -> list[Job]:
    query = (
        select(Job)
        .where(Job.tenant_id == tenant_id, Job.requested_by == requested_by)
        .order_by(Job.created_at.desc(), Job.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def claim_next(
    session: AsyncSession, token: uuid.UUID, lease: timedelta, now: datetime
) -> Job | None:
    """The oldest job waiting (queued, or running under a lease nobody renewed), now held
    under `token`."""
    waiting = (
        select(Job.tenant_id, Job.id)
        .where(
            or_(
                Job.state == JobState.QUEUED,
                (Job.state == JobState.RUNNING) & (Job.lease_until < now),
            )
        )
        .order_by(Job.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .cte("waiting")
    )
    claim = (
        update(Job)
        .where(Job.tenant_id == waiting.c.tenant_id, Job.id == waiting.c.id)
        .values(
            state=JobState.RUNNING,
            lease_token=token,
            lease_until=now + lease,
            attempts=Job.attempts + 1,
            started_at=func.coalesce(Job.started_at, now),
            rows_written=0,
        )
        .returning(Job)
    )
    found = (await session.execute(claim)).scalars().first()
    return found


async def _held(
    session: AsyncSession, tenant_id: uuid.UUID, job_id: uuid.UUID, token: uuid.UUID, **values: Any
) -> bool:
    """Change the job if `token` still holds it; whether it did."""
    statement = (
        update(Job)
        .where(
            Job.tenant_id == tenant_id,
            Job.id == job_id,
            Job.lease_token == token,
            Job.state == JobState.RUNNING,
        )
        .values(**values)
        .returning(Job.id)
    )
    return (await session.execute(statement)).first() is not None


async def renew(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    job_id: uuid.UUID,
    token: uuid.UUID,
    lease_until: datetime,
    **progress: Any,
) -> bool:
    return await _held(session, tenant_id, job_id, token, lease_until=lease_until, **progress)


async def finish(
    session: AsyncSession, tenant_id: uuid.UUID, job_id: uuid.UUID, token: uuid.UUID, **values: Any
) -> bool:
    values = {"lease_token": None, "lease_until": None, **values}
    return await _held(session, tenant_id, job_id, token, **values)


async def fail_exhausted(session: AsyncSession, job: Job, reason: str, now: datetime) -> None:
    job.state, job.error, job.finished_at = JobState.FAILED, reason, now
    job.lease_token = job.lease_until = None


async def due_for_expiry(session: AsyncSession, now: datetime, limit: int) -> list[Job]:
    query = (
        select(Job)
        .where(Job.state == JobState.DONE, Job.expires_at <= now)
        .order_by(Job.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars())
