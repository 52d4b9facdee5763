"""Jobs that act on many users: claimed by one worker at a time (`FOR UPDATE SKIP LOCKED`
and a lease), their items (the users a bulk action acts on) and their outcomes."""

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    Uuid,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import arrays
from services.directory.db.job_tables import Job, JobItem
from services.directory.db.models import User
from services.directory.domain.jobs import UNFINISHED, ItemOutcome, JobKind, JobState, ListedJob


def add_job(session: AsyncSession, **values: Any) -> Job:
    job = Job(**values)
    session.add(job)
    return job


async def get_job(
    session: AsyncSession, tenant_id: uuid.UUID, job_id: uuid.UUID, *, for_update: bool = False
) -> Job | None:
    query = select(Job).where(Job.tenant_id == tenant_id, Job.id == job_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_jobs(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: JobKind,
    limit: int,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> list[ListedJob]:
    """A page of the tenant's jobs of that kind, newest first (keyset: after `before`),
    with who started each."""
    starter_name = User.first_name + " " + User.last_name
    query = (
        select(Job, User.email, starter_name)
        .outerjoin(User, (User.tenant_id == Job.tenant_id) & (User.id == Job.created_by))
        .where(Job.tenant_id == tenant_id, Job.kind == kind)
        .order_by(Job.created_at.desc(), Job.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(tuple_(Job.created_at, Job.id) < tuple_(*before))
    rows = (await session.execute(query)).all()
    return [ListedJob(job, email, name) for job, email, name in rows]


async def count_jobs(session: AsyncSession, tenant_id: uuid.UUID, kind: JobKind) -> int:
    query = select(func.count()).where(Job.tenant_id == tenant_id, Job.kind == kind)
    return int((await session.execute(query)).scalar_one())


async def claim_job(
    session: AsyncSession, owner: uuid.UUID, now: datetime, job_id: uuid.UUID | None = None
) -> Job | None:
    """The oldest unfinished job no live worker holds (or that one, `job_id`, if so),
    locked for this transaction. A job whose worker died is free again once its lease has
    run out."""
    free: ColumnElement[bool] = or_(
        Job.lease_owner.is_(None), Job.lease_owner == owner, Job.lease_expires_at < now
    )
    query = (
        select(Job)
        .where(Job.state.in_(UNFINISHED), free)
        .order_by(Job.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if job_id is not None:
        query = query.where(Job.id == job_id)
    return (await session.execute(query)).scalar_one_or_none()


async def snapshot_targets(
    session: AsyncSession, job: Job, where: Sequence[ColumnElement[bool]]
) -> int:
    """The users the job will act on, fixed when it starts: those the filters match then."""
    chosen = select(User.tenant_id, literal(job.id, Uuid()), User.id).where(*where)
    result = await session.execute(
        insert(JobItem).from_select(["tenant_id", "job_id", "user_id"], chosen)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def add_targets(session: AsyncSession, job: Job, user_ids: Sequence[uuid.UUID]) -> int:
    """Named users (of the job's tenant only: ids of another tenant match nobody)."""
    chosen = select(User.tenant_id, literal(job.id, Uuid()), User.id).where(
        User.tenant_id == job.tenant_id, User.id.in_(list(user_ids))
    )
    result = await session.execute(
        insert(JobItem).from_select(["tenant_id", "job_id", "user_id"], chosen)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def next_targets(session: AsyncSession, job: Job, limit: int) -> list[uuid.UUID]:
    """The next users not done yet, after the last batch's (`params.after`: without it each
    batch reads past every user done before)."""
    after = job.params.get("after")
    query = (
        select(JobItem.user_id)
        .where(
            JobItem.tenant_id == job.tenant_id,
            JobItem.job_id == job.id,
            JobItem.user_id > (uuid.UUID(after) if after else uuid.UUID(int=0)),
            JobItem.outcome.is_(None),
        )
        .order_by(JobItem.user_id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def record_outcomes(
    session: AsyncSession, job: Job, outcomes: Sequence[dict[str, Any]]
) -> None:
    """Each user's outcome (`user_id`, `outcome`, `reason`): one UPDATE over the batch's
    arrays (where an executemany by primary key ran one UPDATE per user)."""
    await arrays.update_rows(
        session,
        cast(Table, JobItem.__table__),
        {"tenant_id": job.tenant_id, "job_id": job.id},
        [("user_id", "uuid", [o["user_id"] for o in outcomes])],
        [
            ("outcome", "text", [o["outcome"].value for o in outcomes]),
            ("reason", "text", [o["reason"] for o in outcomes]),
        ],
    )


async def all_items(session: AsyncSession, job: Job) -> AsyncIterator[JobItem]:
    query = (
        select(JobItem)
        .where(JobItem.tenant_id == job.tenant_id, JobItem.job_id == job.id)
        .order_by(JobItem.user_id)
        .execution_options(yield_per=5000)
    )
    async for item in await session.stream_scalars(query):
        yield item


async def expire_finished(session: AsyncSession, now: datetime, limit: int) -> int:
    """Jobs kept past their time: their items are forgotten, the job says `expired`."""
    query = (
        select(Job)
        .where(
            Job.expires_at <= now,
            Job.state.in_((JobState.DONE, JobState.CANCELLED, JobState.FAILED)),
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    jobs = list((await session.execute(query)).scalars())
    for job in jobs:
        await session.execute(
            delete(JobItem).where(JobItem.tenant_id == job.tenant_id, JobItem.job_id == job.id)
        )
        job.state = JobState.EXPIRED
    return len(jobs)


async def fail_next_item(session: AsyncSession, job: Job, reason: str) -> None:
    [user_id] = await next_targets(session, job, 1)
    await record_outcomes(
        session, job, [{"user_id": user_id, "outcome": ItemOutcome.FAILED, "reason": reason[:500]}]
    )
