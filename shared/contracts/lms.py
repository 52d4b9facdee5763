"""Events the rest of the LMS publishes about learners: `lms.enrollment.*`, `lms.activity.*`."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from shared.contracts.envelope import Contract

ENROLLMENT_EVENTS = "lms.enrollment.*"
ACTIVITY_EVENTS = "lms.activity.*"


class EnrollmentChanged(Contract):
    """Any `lms.enrollment.<what>` event: the enrollment as it stands after the change."""

    user_id: uuid.UUID
    course_id: str = Field(min_length=1, max_length=200)
    course_title: str = Field(min_length=1, max_length=500)
    status: str = Field(min_length=1, max_length=50, description="enrolled, completed, ...")
    progress_percent: int | None = Field(default=None, ge=0, le=100)
    occurred_at: datetime


class LearningActivity(Contract):
    """Any `lms.activity.<verb>` event: something the learner did."""

    activity_id: str = Field(min_length=1, max_length=200)
    user_id: uuid.UUID
    title: str = Field(min_length=1, max_length=500)
    course_id: str | None = None
    occurred_at: datetime
    details: dict[str, Any] = Field(default_factory=dict)
