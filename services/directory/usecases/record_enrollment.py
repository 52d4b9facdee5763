"""The LMS reports an enrollment changed: the directory keeps its newest state per course."""

import uuid

from services.directory.db.activities import record_activity
from services.directory.db.enrollments import upsert_enrollment
from services.directory.usecases.common import user_reported
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.lms import EnrollmentChanged


async def record_enrollment(
    uow: DirectoryUnitOfWork,
    tenant_id: uuid.UUID,
    event_id: str,
    event_type: str,
    change: EnrollmentChanged,
) -> None:
    """`event_type`: what happened (`lms.enrollment.completed`), shown in the feed."""
    user = await user_reported(uow.session, tenant_id, change.user_id)
    await upsert_enrollment(uow.session, user.tenant_id, change)
    record_activity(
        uow.session,
        user.tenant_id,
        user.id,
        event_type,
        occurred_at=change.occurred_at,
        details={
            "course_id": change.course_id,
            "course_title": change.course_title,
            "status": change.status,
            "progress_percent": change.progress_percent,
        },
        source_event_id=event_id,
    )
