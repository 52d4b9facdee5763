"""What the export reads for one user: one row of the exports service's projection."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from shared.contracts.users import BounceKind, EmailState, InvitationState, UserStatus


class ExportRow(NamedTuple):
    """One user, as a projection query yields it (the fields of `UserSnapshot` it needs).

    A typed tuple rather than a dataclass: a million of them are built per export, and
    `ExportRow(*record)` costs a third of a frozen dataclass's `__init__`. The fields up to
    `deactivation_reason` are the fixed columns, in column order (see `columns.FIXED_COLUMNS`).
    Datetimes are timezone-aware (UTC from the database); they are shown in the tenant's zone.
    """

    first_name: str
    last_name: str
    email: str
    phone: str | None
    locale: str
    role: str
    status: UserStatus
    groups: Sequence[str]  # group names
    invitation_state: InvitationState
    invitation_first_sent_at: datetime | None
    invitation_last_sent_at: datetime | None
    email_state: EmailState
    bounce_kind: BounceKind | None
    email_reason: str | None
    email_changed_at: datetime | None
    created_at: datetime
    last_login_at: datetime | None
    deactivated_at: datetime | None
    deactivated_by: str | None  # who: the projection's label for that admin (e-mail or id)
    deactivation_reason: str | None
    # Not columns of their own:
    invitation_expires_at: datetime | None  # an unused link past this is shown as "expired"
    custom_fields: Mapping[str, Any]  # field key -> value as stored (JSON: str, number, bool)
