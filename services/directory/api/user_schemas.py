"""Request and response bodies of /api/v1/users."""

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, EmailStr, Field, model_validator

from services.directory.db.models import Activity, CustomField, Enrollment, User
from services.directory.domain.invitation_state import is_expired
from services.directory.snapshots import custom_field_values
from services.directory.usecases.queries import Profile
from shared.contracts.users import (
    BounceKind,
    CustomFieldValue,
    EmailState,
    GroupRef,
    InvitationState,
    Locale,
)
from shared.schemas import RequestModel

Name = Field(min_length=1, max_length=100)
Phone = Field(default=None, max_length=40, pattern=r"^[0-9+().\- ]{3,40}$")


class InvitationIn(RequestModel):
    email: EmailStr = Field(max_length=320)
    first_name: str = Name
    last_name: str = Name
    phone: str | None = Phone
    locale: Locale | None = Field(default=None, description="Defaults to the tenant's locale.")
    role: str = Field(default="learner", max_length=50)
    group_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    custom_fields: dict[str, Any] = Field(
        default_factory=dict, description="Values by custom field key."
    )


class UserPatch(RequestModel):
    """Only the fields sent are changed. `phone: null` clears the phone."""

    version: int | None = Field(
        default=None, description="The version you read; or send it as If-Match."
    )
    email: EmailStr | None = Field(default=None, max_length=320)
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: str | None = Phone
    locale: Locale | None = None
    role: str | None = Field(default=None, max_length=50)
    group_ids: list[uuid.UUID] | None = Field(default=None, max_length=200)
    custom_fields: dict[str, Any] | None = Field(
        default=None, description="Values by key; a null value clears that field."
    )

    @model_validator(mode="after")
    def _no_null_where_a_value_is_needed(self) -> "UserPatch":
        nullable = {"phone", "version"}
        cleared = [
            n for n in self.model_fields_set if getattr(self, n) is None and n not in nullable
        ]
        if cleared:
            raise ValueError(f"{', '.join(sorted(cleared))} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set - {"version"}}


class DeactivationIn(RequestModel):
    reason: str | None = Field(default=None, max_length=500)


class InvitationOut(BaseModel):
    state: InvitationState | Literal["expired"]
    requested_at: datetime | None
    first_sent_at: datetime | None
    last_sent_at: datetime | None
    expires_at: datetime | None
    send_count: int
    resend_count: int
    accepted_at: datetime | None
    failure_reason: str | None


class EmailStatusOut(BaseModel):
    state: EmailState
    bounce_kind: BounceKind | None
    reason: str | None
    changed_at: datetime | None
    delivered_at: datetime | None


class UserSummary(BaseModel):
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    phone: str | None
    locale: str
    role: str
    status: str
    groups: list[GroupRef]
    custom_fields: dict[str, Any] = Field(description="Values by custom field key.")
    invitation: InvitationOut
    email_status: EmailStatusOut
    envelope: Literal["blue", "orange"] | None = Field(
        description="orange: a bounce or complaint; blue: the invitation went out."
    )
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class DeactivationOut(BaseModel):
    at: datetime | None
    by: uuid.UUID | None
    reason: str | None


class EnrollmentOut(BaseModel):
    course_id: str
    course_title: str
    status: str
    progress_percent: int | None
    enrolled_at: datetime
    updated_at: datetime


class ActivityOut(BaseModel):
    id: uuid.UUID
    kind: str
    occurred_at: datetime
    actor_id: uuid.UUID | None
    details: dict[str, Any]


class UserProfile(UserSummary):
    custom_field_details: list[CustomFieldValue]
    activated_at: datetime | None
    deactivation: DeactivationOut | None
    enrollments: list[EnrollmentOut]
    recent_activities: list[ActivityOut]


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    next_cursor: str | None


def summary_fields(user: User, groups: list[GroupRef], fields: list[CustomField]) -> dict[str, Any]:
    """A user as the list shows it, as plain data: the page validates them all at once."""
    state = InvitationState(user.invitation_state)
    values = user.custom_fields or {}
    expired = is_expired(state, user.invitation_expires_at, datetime.now(UTC))
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "locale": user.locale,
        "role": user.role,
        "status": user.status,
        "groups": groups,
        "custom_fields": {f.key: values[str(f.id)] for f in fields if str(f.id) in values},
        "invitation": {
            "state": "expired" if expired else state,
            "requested_at": user.invitation_requested_at,
            "first_sent_at": user.invitation_first_sent_at,
            "last_sent_at": user.invitation_last_sent_at,
            "expires_at": user.invitation_expires_at,
            "send_count": user.invitation_send_count,
            "resend_count": user.invitation_resend_count,
            "accepted_at": user.invitation_accepted_at,
            "failure_reason": user.invitation_failure_reason,
        },
        "email_status": {
            "state": user.email_state,
            "bounce_kind": user.email_bounce_kind,
            "reason": user.email_state_reason,
            "changed_at": user.email_state_changed_at,
            "delivered_at": user.email_delivered_at,
        },
        "envelope": envelope(user),
        "last_login_at": user.last_login_at,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "version": user.version,
    }


def envelope(user: User) -> Literal["blue", "orange"] | None:
    if user.email_state != EmailState.OK.value:
        return "orange"
    return "blue" if user.invitation_first_sent_at is not None else None


def user_profile(profile: Profile) -> UserProfile:
    user = profile.user
    return UserProfile(
        **summary_fields(user, profile.groups, profile.fields),
        custom_field_details=custom_field_values(user, profile.fields),
        activated_at=user.activated_at,
        deactivation=(
            DeactivationOut(
                at=user.deactivated_at, by=user.deactivated_by, reason=user.deactivation_reason
            )
            if user.status == "deactivated"
            else None
        ),
        enrollments=[enrollment_out(e) for e in profile.enrollments],
        recent_activities=[activity_out(a) for a in profile.activities],
    )


def enrollment_out(enrollment: Enrollment) -> EnrollmentOut:
    return EnrollmentOut.model_validate(enrollment, from_attributes=True)


def activity_out(activity: Activity) -> ActivityOut:
    return ActivityOut.model_validate(activity, from_attributes=True)
