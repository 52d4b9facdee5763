"""The directory API's request and response bodies, and how a use case's answer is shaped
into one. The rules behind what is shown (an expired invitation, the envelope colour) are
in `domain/`."""

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints, model_validator

from services.directory.domain import invitation_state
from services.directory.domain.activities import ActivityRecord, EnrollmentRecord
from services.directory.domain.custom_fields import (
    CustomFieldRecord,
    StoredKeys,
    stored_keys,
    values_by_stored_key,
    values_shown,
)
from services.directory.domain.email_state import Envelope, envelope
from services.directory.domain.groups import GroupRecord
from services.directory.domain.listing import ListedUser
from services.directory.domain.users import SummaryRecord, shows_deactivation
from services.directory.usecases.get_profile import Profile
from shared.contracts.custom_fields import FieldType
from shared.contracts.user_filters import UserFilters, UserSort
from shared.contracts.users import (
    BounceKind,
    CustomFieldValue,
    EmailState,
    GroupRef,
    InvitationState,
    Locale,
    UserStatus,
)
from shared.schemas import Phone, PlainName, RequestModel, contains_nul

# --- users -----------------------------------------------------------------------------------


class UserPatch(RequestModel):
    """Only the fields sent are changed. `phone: null` clears the phone."""

    version: int | None = Field(
        default=None, description="The version you read; or send it as If-Match."
    )
    email: EmailStr | None = Field(default=None, max_length=320)
    first_name: PlainName | None = Field(default=None, min_length=1, max_length=100)
    last_name: PlainName | None = Field(default=None, min_length=1, max_length=100)
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
    status: UserStatus
    groups: list[GroupRef]
    custom_fields: dict[str, Any] = Field(description="Values by custom field key.")
    invitation: InvitationOut
    email_status: EmailStatusOut
    envelope: Envelope | None = Field(
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


class CustomFieldDetail(BaseModel):
    """A value with its field's key, label and type (the snapshot's, without its place)."""

    key: str
    label: str
    type: str
    value: Any

    @classmethod
    def of(cls, value: CustomFieldValue) -> "CustomFieldDetail":
        return cls(key=value.key, label=value.label, type=value.type, value=value.value)


class UserProfile(UserSummary):
    custom_field_details: list[CustomFieldDetail]
    activated_at: datetime | None
    deactivation: DeactivationOut | None
    enrollments: list[EnrollmentOut]
    recent_activities: list[ActivityOut]


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    next_cursor: str | None


def summary_fields(
    user: SummaryRecord,
    groups: Sequence[GroupRef] | Sequence[Mapping[str, Any]],
    field_keys: StoredKeys,
    now: datetime,
) -> dict[str, Any]:
    """A user as the list shows it (`UserSummary`), as plain data; `field_keys`: the
    tenant's fields' `stored_keys`, made once for a page."""
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "locale": user.locale,
        "role": user.role,
        "status": _text(user.status),
        "groups": groups,
        "custom_fields": values_by_stored_key(user.custom_fields or {}, field_keys),
        "invitation": {
            "state": _text(
                invitation_state.displayed(user.invitation_state, user.invitation_expires_at, now)
            ),
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
            "state": _text(user.email_state),
            "bounce_kind": _text(user.email_bounce_kind),
            "reason": user.email_state_reason,
            "changed_at": user.email_state_changed_at,
            "delivered_at": user.email_delivered_at,
        },
        "envelope": _text(envelope(user.email_state, user.invitation_first_sent_at)),
        "last_login_at": user.last_login_at,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "version": user.version,
    }


def _text(value: str | None) -> str | None:
    """A state (a `StrEnum`) as its JSON text: `to_json` writes a plain string several
    times faster than an enum (six per listed user)."""
    return None if value is None else str(value)


def listed_groups(user: ListedUser) -> list[dict[str, str]]:
    """A listed user's groups, shown as `GroupRef`s (read as such)."""
    return user.groups or []


def user_profile(profile: Profile, now: datetime) -> UserProfile:
    user = profile.user
    return UserProfile(
        **summary_fields(user, profile.groups, stored_keys(profile.fields), now),
        custom_field_details=[
            CustomFieldDetail.of(v) for v in values_shown(user.custom_fields or {}, profile.fields)
        ],
        activated_at=user.activated_at,
        deactivation=(
            DeactivationOut(
                at=user.deactivated_at, by=user.deactivated_by, reason=user.deactivation_reason
            )
            if shows_deactivation(user)
            else None
        ),
        enrollments=[enrollment_out(e) for e in profile.enrollments],
        recent_activities=[activity_out(a) for a in profile.activities],
    )


def enrollment_out(enrollment: EnrollmentRecord) -> EnrollmentOut:
    return EnrollmentOut.model_validate(enrollment, from_attributes=True)


def activity_out(activity: ActivityRecord) -> ActivityOut:
    return ActivityOut.model_validate(activity, from_attributes=True)


class UserListQuery(UserFilters):
    """GET /api/v1/users: the list filters (`shared.contracts.user_filters`), the sort, and
    the page. Custom fields filter as `field.<key>=<value>`."""

    sort: UserSort = UserSort.NAME
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, description="`next_cursor` of the page before")

    @model_validator(mode="before")
    @classmethod
    def _no_nul_in_cursor(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and contains_nul(data.get("cursor")):
            raise ValueError("cursor: text cannot contain NUL (%00) characters")
        return data


# --- groups ----------------------------------------------------------------------------------


class GroupIn(RequestModel):
    name: PlainName = Field(min_length=1, max_length=200)


class GroupOut(BaseModel):
    id: uuid.UUID
    name: str
    member_count: int
    created_at: datetime


def group_out(group: GroupRecord, members: int = 0) -> GroupOut:
    return GroupOut(id=group.id, name=group.name, member_count=members, created_at=group.created_at)


# --- custom fields ---------------------------------------------------------------------------


class FieldIn(RequestModel):
    key: str = Field(min_length=1, max_length=64, description="Fixed once created, e.g. hire_date.")
    label: PlainName = Field(min_length=1, max_length=200)
    type: FieldType
    required: bool = False
    choices: list[str] = Field(default_factory=list, max_length=200)
    position: int = Field(default=0, ge=0, le=10_000)


class FieldPatch(RequestModel):
    label: PlainName | None = Field(default=None, min_length=1, max_length=200)
    required: bool | None = None
    choices: list[str] | None = Field(default=None, max_length=200)
    position: int | None = Field(default=None, ge=0, le=10_000)

    def changes(self) -> dict[str, Any]:
        """What the caller sent (a null is "leave it")."""
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if v is not None}


class FieldOut(BaseModel):
    id: uuid.UUID
    key: str
    label: str
    type: FieldType
    required: bool
    choices: list[str]
    position: int
    created_at: datetime


def field_out(field: CustomFieldRecord) -> FieldOut:
    return FieldOut.model_validate(field, from_attributes=True)


# --- auth ------------------------------------------------------------------------------------


# A password is taken exactly as typed (spaces at either end included): never stripped.
Password = Annotated[str, StringConstraints(strip_whitespace=False)]


class LoginIn(RequestModel):
    tenant: str = Field(min_length=1, max_length=63, description="The platform's slug.")
    email: str = Field(min_length=1, max_length=320)
    password: Password = Field(min_length=1, max_length=1024, description="Exactly as typed.")


class PasswordResetIn(RequestModel):
    tenant: str = Field(min_length=1, max_length=63, description="The platform's slug.")
    email: str = Field(min_length=1, max_length=320)


class Accepted(BaseModel):
    detail: str


class Me(BaseModel):
    id: str
    tenant_id: str
    email: str
    first_name: str
    last_name: str
    locale: str
    role: str
    permissions: list[str]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int


class LoginOut(TokenOut):
    user: Me
