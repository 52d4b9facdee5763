"""The user snapshot every `user.*` event carries: the user as the directory holds them,
with their groups and custom-field values."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import custom_fields as fields_db
from services.directory.db import users as users_db
from services.directory.db.models import User
from services.directory.domain.custom_fields import CustomFieldRecord, values_shown_data
from services.directory.domain.users import shows_deactivation
from shared.contracts.users import GroupRef, UserSnapshot

# What a snapshot is built from: an ORM object, a row as written, or a row as a batch's
# statements will write it (`bulk.as_written`).
SnapshotSource = User | Row[Any] | SimpleNamespace


def build_snapshot(
    user: User, groups: list[GroupRef], fields: Sequence[CustomFieldRecord]
) -> UserSnapshot:
    """Validated whole, from plain data: one pydantic call per user rather than one per
    nested model."""
    return UserSnapshot.model_validate(snapshot_data(user, groups, fields))


def snapshot_data(
    user: SnapshotSource,
    groups: list[GroupRef],
    fields: Sequence[CustomFieldRecord],
) -> dict[str, Any]:
    """The snapshot as plain data (typed values: it serialises to the same JSON)."""
    deactivation = (
        {"at": user.deactivated_at, "by": user.deactivated_by, "reason": user.deactivation_reason}
        if shows_deactivation(user) and user.deactivated_at is not None
        else None
    )
    return {
        "id": user.id,
        "tenant_id": user.tenant_id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "locale": user.locale,
        "role": user.role,
        "status": user.status,
        "groups": groups,
        "custom_fields": values_shown_data(user.custom_fields or {}, fields),
        "invitation": {
            "state": user.invitation_state,
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
            "delivered_at": user.email_delivered_at,
            "bounce_kind": user.email_bounce_kind,
            "reason": user.email_state_reason,
            "changed_at": user.email_state_changed_at,
        },
        "deactivation": deactivation,
        "activated_at": user.activated_at,
        "last_login_at": user.last_login_at,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "version": user.version,
    }


async def snapshots_of(session: AsyncSession, users: Sequence[User]) -> list[UserSnapshot]:
    """The snapshots of users of one tenant, in the same order."""
    if not users:
        return []
    tenant_id = users[0].tenant_id
    groups = await users_db.groups_of(session, tenant_id, [u.id for u in users])
    fields = await fields_db.list_fields(session, tenant_id)
    return [
        UserSnapshot.model_validate(snapshot_data(u, groups.get(u.id, []), fields)) for u in users
    ]


async def snapshots_data_of(
    session: AsyncSession, users: Sequence[SnapshotSource]
) -> list[dict[str, Any]]:
    """`snapshots_of` as plain data, not validated again, of users freshly read or rows as
    a batch wrote them (typed by their columns: the JSON is the validated snapshot's): for
    `republish` (validating a million snapshots was a third of its time) and a bulk job's
    events."""
    if not users:
        return []
    lookups = await snapshot_lookups(session, users)
    return [lookups.data(u) for u in users]


@dataclass(frozen=True)
class SnapshotLookups:
    """What the snapshots of a batch of one tenant's users read besides their rows: their
    groups (named, in order) and the tenant's custom fields. Read first, so that the
    snapshots themselves are plain Python (`data`), built while the batch's statements run."""

    groups: dict[uuid.UUID, GroupRef]
    rank: dict[uuid.UUID, int]
    fields: Sequence[CustomFieldRecord]

    def data(self, user: SnapshotSource) -> dict[str, Any]:
        named, rank = self.groups, self.rank
        ordered = sorted(user.group_ids, key=lambda g: rank.get(g, -1))
        return snapshot_data(user, [named[g] for g in ordered if g in named], self.fields)


async def snapshot_lookups(
    session: AsyncSession, users: Sequence[SnapshotSource]
) -> SnapshotLookups:
    """The lookups of users of one tenant. Their groups are their rows' `group_ids` (kept
    by PostgreSQL), named and ordered by one query for the batch's groups (joining the
    memberships of 2,000 users was a republish batch's slowest step, and 55 % of a
    100,000-user deactivation's database time)."""
    tenant_id = users[0].tenant_id
    named = await users_db.groups_by_id(session, tenant_id, {g for u in users for g in u.group_ids})
    rank = {group_id: place for place, group_id in enumerate(named)}
    fields = await fields_db.list_fields(session, tenant_id)
    return SnapshotLookups(named, rank, fields)
