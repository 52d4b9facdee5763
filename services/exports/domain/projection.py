"""How a user's snapshot becomes a row of the exports' projection (and of its custom
fields): the values the export writes and the keys the list's filters read."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.contracts.users import UserSnapshot


@dataclass(frozen=True)
class FieldSeen:
    """A custom field as a snapshot shows it (the tenant defines it; the directory owns it)."""

    key: str
    label: str
    type: str
    position: int
    seen_at: datetime


def projected_user(user: UserSnapshot) -> dict[str, Any]:
    """The row's values, by column name."""
    invitation, email, gone = user.invitation, user.email_status, user.deactivation
    return {
        "tenant_id": user.tenant_id,
        "id": user.id,
        "version": user.version,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "email_normalized": user.email.strip().lower(),  # the directory's normalize_email
        "phone": user.phone,
        "locale": user.locale,
        "role": user.role,
        "status": user.status.value,
        "groups": [group.name for group in user.groups],
        "group_ids": [group.id for group in user.groups],
        "invitation_state": invitation.state.value,
        "invitation_first_sent_at": invitation.first_sent_at,
        "invitation_last_sent_at": invitation.last_sent_at,
        "invitation_expires_at": invitation.expires_at,
        "email_state": email.state.value,
        "bounce_kind": email.bounce_kind.value if email.bounce_kind else None,
        "email_reason": email.reason,
        "email_changed_at": email.changed_at,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
        "deactivated_at": gone.at if gone else None,
        "deactivated_by": gone.by if gone else None,
        "deactivation_reason": gone.reason if gone else None,
        "custom_fields": {field.key: field.value for field in user.custom_fields},
    }


def fields_seen(user: UserSnapshot) -> list[FieldSeen]:
    return [
        FieldSeen(f.key, f.label, f.type, f.position, user.updated_at) for f in user.custom_fields
    ]
