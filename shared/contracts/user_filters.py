"""The filters and sort orders of the user list, with one meaning wherever they are given:
the query string of the directory's `GET /api/v1/users`, and the `filters` and `sort` of
an export request (the exports service lists exactly the users the directory would).

The names, the types, the checks (and their messages) and the meaning of each value are
here; each service turns them into its own SQL (the directory: `db/user_filters.py`).

    GET /api/v1/users?status=invited&group=<id>&q=tremblay&field.department=TI&sort=-created_at

Custom fields filter as `field.<key>=<value>`; the value means what it means for that
field's type (`shared.contracts.custom_fields.clean_value`: `oui` is yes, `3.0` a number).
Date ranges include `*_from` and exclude `*_to`; a date without a zone is in UTC.
"""

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from shared.contracts.custom_fields import FieldDefinition, InvalidFieldValue, clean_value
from shared.contracts.users import EmailState, InvitationState, UserStatus
from shared.errors import Invalid
from shared.schemas import as_utc, contains_nul

FIELD_PREFIX = "field."
MIN_SEARCH_TERM = 2
NUL_MESSAGE = "text cannot contain NUL (%00) characters"


class InvitationFilter(StrEnum):
    """The invitation states an admin can filter on: the stored ones, and `expired` (sent
    or delivered, and the link's expiry has passed; `sent` and `delivered` then mean
    "and not expired")."""

    NONE = InvitationState.NONE.value
    PENDING = InvitationState.PENDING.value
    SENT = InvitationState.SENT.value
    DELIVERED = InvitationState.DELIVERED.value
    BOUNCED = InvitationState.BOUNCED.value
    FAILED = InvitationState.FAILED.value
    EXPIRED = "expired"
    ACCEPTED = InvitationState.ACCEPTED.value
    REVOKED = InvitationState.REVOKED.value


class UserSort(StrEnum):
    """Sort orders; `-` first is descending. Ties are broken by the user's id."""

    NAME = "name"  # last name, then first name
    NAME_DESC = "-name"
    EMAIL = "email"
    EMAIL_DESC = "-email"
    CREATED = "created_at"
    CREATED_DESC = "-created_at"
    LAST_LOGIN = "last_login_at"  # those who never logged in first
    LAST_LOGIN_DESC = "-last_login_at"

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")

    @property
    def key(self) -> str:
        """What is sorted on, whatever the direction."""
        return self.value.removeprefix("-")


class UserFilters(BaseModel):
    """Which users: every filter given must hold (within one filter, any of its values)."""

    # Extra names are the custom-field filters (`field.<key>`); any other name is refused.
    model_config = ConfigDict(frozen=True, extra="allow")

    group: tuple[uuid.UUID, ...] = Field(default=(), description="Member of any of these groups")
    role: tuple[str, ...] = Field(default=(), description="Any of these roles")
    status: tuple[UserStatus, ...] = ()
    invitation: tuple[InvitationFilter, ...] = ()
    email_status: tuple[EmailState, ...] = ()
    email: str | None = Field(default=None, max_length=320, description="E-mail contains")
    q: str | None = Field(default=None, max_length=200, description="Names or e-mail contain")
    created_from: datetime | None = None
    created_to: datetime | None = None
    last_login_from: datetime | None = None
    last_login_to: datetime | None = None
    never_logged_in: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_names_and_one_text_per_field(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        custom = [name for name in data if str(name).startswith(FIELD_PREFIX)]
        unknown = sorted(str(n) for n in data if n not in cls.model_fields and n not in custom)
        if unknown:
            raise PydanticCustomError(
                "unknown_parameter", "Unknown parameter(s): {names}.", {"names": ", ".join(unknown)}
            )
        for name in custom:
            _check_field_filter(name, data[name])
        return data

    @field_validator("role", "email", "q")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if contains_nul(value):
            raise PydanticCustomError("nul_character", NUL_MESSAGE)
        return value

    @field_validator(
        "created_from", "created_to", "last_login_from", "last_login_to", mode="before"
    )
    @classmethod
    def _a_date_not_a_number(cls, value: Any) -> Any:
        """ISO 8601 only: pydantic would take `0.5` or `1700000000` as a Unix time."""
        if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
            raise PydanticCustomError("iso_date", "give a date as ISO 8601, e.g. 2025-01-31")
        return value

    @field_validator("created_from", "created_to", "last_login_from", "last_login_to")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            return as_utc(value)
        except OverflowError:  # e.g. 0001-01-01T00:00+14:00 is before the first year
            raise PydanticCustomError("date_out_of_range", "the date is out of range") from None

    @classmethod
    def from_query(cls, pairs: Iterable[tuple[str, str]]) -> Self:
        """Read from a query string's (name, value) pairs, a name given again adding a
        value, as an HTTP framework does."""
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            values.setdefault(name, []).append(value)
        return cls.model_validate(
            {name: found if _takes_many(cls, name) else found[-1] for name, found in values.items()}
        )

    @property
    def email_contains(self) -> str | None:
        return (self.email or "").strip() or None

    @property
    def search_terms(self) -> tuple[str, ...]:
        """The words of `q`, lower-cased, each to be found; shorter ones are dropped."""
        words = (self.q or "").lower().split()
        return tuple(dict.fromkeys(w for w in words if len(w) >= MIN_SEARCH_TERM))

    @property
    def custom_fields(self) -> dict[str, Any]:
        """The custom-field filters as given, by field key."""
        return {name.removeprefix(FIELD_PREFIX): v for name, v in (self.model_extra or {}).items()}

    def custom_field_values(self, fields: Mapping[str, FieldDefinition]) -> dict[str, Any]:
        """The custom-field filters, each read as its field's type would store it; `fields`
        are the tenant's definitions by key. Invalid names what is wrong."""
        values: dict[str, Any] = {}
        for key, given in self.custom_fields.items():
            field = fields.get(key)
            if field is None:
                raise Invalid(f"{FIELD_PREFIX}{key}: there is no custom field with this key.")
            try:
                values[key] = clean_value(field, given)
            except InvalidFieldValue as error:
                raise Invalid(f"{FIELD_PREFIX}{error}") from None
        return values

    @property
    def is_empty(self) -> bool:
        """No filter at all: every user of the tenant."""
        return not (
            self.group
            or self.role
            or self.status
            or self.invitation
            or self.email_status
            or self.email_contains
            or self.search_terms
            or self.model_extra
            or self.created_from
            or self.created_to
            or self.last_login_from
            or self.last_login_to
            or self.never_logged_in is not None
        )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_field_filter(name: str, value: Any) -> None:
    if isinstance(value, list | tuple):
        raise PydanticCustomError("one_value", "{name}: give one value.", {"name": name})
    if not isinstance(value, str | int | float | bool):
        raise PydanticCustomError("field_value", "{name}: give a value.", {"name": name})
    if contains_nul(value):
        raise PydanticCustomError("nul_character", "{name}: " + NUL_MESSAGE + ".", {"name": name})


def _takes_many(model: type[BaseModel], name: str) -> bool:
    field = model.model_fields.get(name)
    return field is not None and getattr(field.annotation, "__origin__", None) is tuple
