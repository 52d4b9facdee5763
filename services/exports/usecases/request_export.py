"""An admin asks for an export: the request is checked as the directory would check the same
filters, and queued (a worker builds it)."""

import uuid
from datetime import UTC, datetime

from services.exports.db import jobs as jobs_db
from services.exports.db import users as users_db
from services.exports.db.models import Job
from services.exports.domain.filters import definitions, read_filters
from services.exports.domain.jobs import ExportRequest, JobState, file_name
from shared.unit_of_work import UnitOfWork


async def request_export(uow: UnitOfWork, request: ExportRequest) -> Job:
    filters = read_filters(request.filters)
    fields = await users_db.tenant_fields(uow.session, request.tenant_id)
    filters.custom_field_values(definitions(fields))  # Invalid if a field or value is wrong
    now, job_id = datetime.now(UTC), uuid.uuid4()
    job = jobs_db.add_job(
        uow.session,
        tenant_id=request.tenant_id,
        id=job_id,
        requested_by=request.requested_by,
        format=request.format,
        filters=filters.model_dump(mode="json", exclude_defaults=True),
        sort=request.sort.value,
        delimiter=request.delimiter,
        language=request.language,
        state=JobState.QUEUED,
        file_name=file_name(job_id, now, request.format),
        created_at=now,
        attempts=0,
        rows_written=0,
    )
    await uow.session.flush()
    return job
