"""What the rest of the LMS reports about learners: enrollments and learning activity."""

from typing import Any

from services.directory.db.activities import record_activity
from services.directory.db.enrollments import upsert_enrollment
from services.directory.handlers.common import user_for_update
from shared.contracts import CloudEvent
from shared.contracts.lms import EnrollmentChanged, LearningActivity
from shared.unit_of_work import UnitOfWork


async def on_enrollment(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    session = uow.session
    change: EnrollmentChanged = event.data
    user = await user_for_update(session, event.tenantid, change.user_id)
    await upsert_enrollment(session, user.tenant_id, change)
    record_activity(
        session,
        user.tenant_id,
        user.id,
        event.type,
        occurred_at=change.occurred_at,
        details={
            "course_id": change.course_id,
            "course_title": change.course_title,
            "status": change.status,
            "progress_percent": change.progress_percent,
        },
        source_event_id=event.id,
    )


async def on_learning_activity(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    session = uow.session
    activity: LearningActivity = event.data
    user = await user_for_update(session, event.tenantid, activity.user_id)
    record_activity(
        session,
        user.tenant_id,
        user.id,
        event.type,
        occurred_at=activity.occurred_at,
        details={"title": activity.title, "course_id": activity.course_id, **activity.details},
        source_event_id=activity.activity_id,
    )
