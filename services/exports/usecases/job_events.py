"""The events a job's end publishes (through the outbox, with the change)."""

from datetime import datetime
from typing import Any, Literal, cast

from services.exports.db.models import Job
from shared.contracts import CloudEvent, new_event
from shared.contracts.exports import EXPORT_COMPLETED, EXPORT_FAILED, ExportCompleted, ExportFailed

SOURCE = "/services/exports"


def completed_event(job: Job, row_count: int, at: datetime) -> CloudEvent[Any]:
    data = ExportCompleted(
        job_id=job.id,
        requested_by=job.requested_by,
        format=cast(Literal["csv", "xlsx"], job.format),
        row_count=row_count,
        completed_at=at,
    )
    return new_event(
        EXPORT_COMPLETED, source=SOURCE, tenant_id=job.tenant_id, subject=str(job.id), data=data
    )


def failed_event(job: Job, reason: str, at: datetime) -> CloudEvent[Any]:
    data = ExportFailed(job_id=job.id, requested_by=job.requested_by, reason=reason, failed_at=at)
    return new_event(
        EXPORT_FAILED, source=SOURCE, tenant_id=job.tenant_id, subject=str(job.id), data=data
    )
