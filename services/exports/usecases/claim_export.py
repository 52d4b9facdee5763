"""A worker takes the oldest waiting job (or one whose worker died: its lease ran out).
A job already tried too often is failed, with the reason, rather than built again."""

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Literal, cast

from services.exports.db import jobs as jobs_db
from services.exports.db import users as users_db
from services.exports.db.models import Job
from services.exports.domain.jobs import ClaimedJob, FileFormat, Language
from services.exports.usecases.job_events import failed_event
from shared.contracts.user_filters import UserSort
from shared.unit_of_work import UnitOfWork

UnitsOfWork = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
DEFAULT_LANGUAGE: Language = "fr"


async def claim_export(
    units: UnitsOfWork, lease: timedelta, max_attempts: int
) -> ClaimedJob | None:
    while True:
        token, now = uuid.uuid4(), datetime.now(UTC)
        async with units() as uow:
            job = await jobs_db.claim_next(uow.session, token, lease, now)
            if job is None:
                return None
            if job.attempts <= max_attempts:
                return await _claimed(uow, job, token)
            reason = f"The export failed {max_attempts} times: {job.error or 'the worker stopped'}"
            await jobs_db.fail_exhausted(uow.session, job, reason, now)
            uow.emit(failed_event(job, reason, now))


async def _claimed(uow: UnitOfWork, job: Job, token: uuid.UUID) -> ClaimedJob:
    language = job.language or await users_db.user_locale(
        uow.session, job.tenant_id, job.requested_by
    )
    return ClaimedJob(
        tenant_id=job.tenant_id,
        id=job.id,
        requested_by=job.requested_by,
        format=cast(FileFormat, job.format),
        filters=dict(job.filters),
        sort=UserSort(job.sort),
        delimiter=cast(Literal[";", ","], job.delimiter),
        language=cast(Language, language if language in ("fr", "en") else DEFAULT_LANGUAGE),
        token=token,
        attempts=job.attempts,
        created_at=job.created_at,
    )
