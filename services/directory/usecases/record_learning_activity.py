"""The LMS reports something a learner did: it shows in their activity feed."""

import uuid

from services.directory.db.activities import record_activity
from services.directory.usecases.common import user_reported
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.lms import LearningActivity


async def record_learning_activity(
    uow: DirectoryUnitOfWork, tenant_id: uuid.UUID, event_type: str, activity: LearningActivity
) -> None:
    """`event_type`: what the learner did (`lms.activity.completed`), shown in the feed."""
    user = await user_reported(uow.session, tenant_id, activity.user_id)
    record_activity(
        uow.session,
        user.tenant_id,
        user.id,
        event_type,
        occurred_at=activity.occurred_at,
        details={"title": activity.title, "course_id": activity.course_id, **activity.details},
        source_event_id=activity.activity_id,
    )
