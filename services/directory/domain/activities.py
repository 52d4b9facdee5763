"""The profile's feed: what the directory records about a user, and their enrollments."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class ActivityKind(StrEnum):
    """What the directory itself records; the others are the type of the event reported
    (`invitation.sent`, `email.bounced`, `lms.activity.completed`...)."""

    INVITED = "user.invited"
    RESEND_REQUESTED = "invitation.resend_requested"
    UPDATED = "user.updated"
    ROLE_CHANGED = "user.role_changed"
    DEACTIVATED = "user.deactivated"
    REACTIVATED = "user.reactivated"
    LOGGED_IN = "login"
    PASSWORD_RESET_REQUESTED = "password_reset.requested"  # noqa: S105 - an activity kind


class ActivityRecord(Protocol):
    id: uuid.UUID
    kind: str
    occurred_at: datetime
    actor_id: uuid.UUID | None
    details: dict[str, Any]


class EnrollmentRecord(Protocol):
    course_id: str
    course_title: str
    status: str
    progress_percent: int | None
    enrolled_at: datetime
    updated_at: datetime
