"""The user snapshot every `user.*` event carries, and publishing it through the outbox."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import custom_fields as fields_db
from services.directory.db import users as users_db
from services.directory.db.models import CustomField, User
from shared.contracts import new_event
from shared.contracts.users import (
    BounceKind,
    CustomFieldValue,
    Deactivation,
    EmailState,
    EmailSummary,
    GroupRef,
    InvitationState,
    InvitationSummary,
    UserSnapshot,
    UserStatus,
)
from shared.messaging.outbox import enqueue

SOURCE = "/services/directory"


def build_snapshot(
    user: User, groups: list[GroupRef], fields: Sequence[CustomField]
) -> UserSnapshot:
    return UserSnapshot(
        id=user.id,
        tenant_id=user.tenant_id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        phone=user.phone,
        locale=user.locale,
        role=user.role,
        status=UserStatus(user.status),
        groups=groups,
        custom_fields=custom_field_values(user, fields),
        invitation=InvitationSummary(
            state=InvitationState(user.invitation_state),
            requested_at=user.invitation_requested_at,
            first_sent_at=user.invitation_first_sent_at,
            last_sent_at=user.invitation_last_sent_at,
            expires_at=user.invitation_expires_at,
            send_count=user.invitation_send_count,
            resend_count=user.invitation_resend_count,
            accepted_at=user.invitation_accepted_at,
            failure_reason=user.invitation_failure_reason,
        ),
        email_status=EmailSummary(
            state=EmailState(user.email_state),
            delivered_at=user.email_delivered_at,
            bounce_kind=BounceKind(user.email_bounce_kind) if user.email_bounce_kind else None,
            reason=user.email_state_reason,
            changed_at=user.email_state_changed_at,
        ),
        deactivation=(
            Deactivation(
                at=user.deactivated_at, by=user.deactivated_by, reason=user.deactivation_reason
            )
            if user.deactivated_at and user.status == UserStatus.DEACTIVATED
            else None
        ),
        activated_at=user.activated_at,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
        updated_at=user.updated_at,
        version=user.version,
    )


def custom_field_values(user: User, fields: Sequence[CustomField]) -> list[CustomFieldValue]:
    values = user.custom_fields or {}
    return [
        CustomFieldValue(key=f.key, label=f.label, type=f.type, value=values[str(f.id)])
        for f in fields
        if str(f.id) in values
    ]


async def snapshots_of(session: AsyncSession, users: Sequence[User]) -> list[UserSnapshot]:
    if not users:
        return []
    tenant_id = users[0].tenant_id
    groups = await users_db.groups_of(session, tenant_id, [u.id for u in users])
    fields = await fields_db.list_fields(session, tenant_id)
    return [build_snapshot(u, groups.get(u.id, []), fields) for u in users]


async def publish_user_event(session: AsyncSession, event_type: str, *users: User) -> None:
    """Write `event_type` for each user, with its current snapshot, to the outbox.

    Call it after the change is flushed, so the snapshot carries the new version.
    """
    await session.flush()
    events = [
        new_event(
            event_type,
            source=SOURCE,
            tenant_id=snapshot.tenant_id,
            subject=str(snapshot.id),
            version=snapshot.version,
            data=snapshot,
        )
        for snapshot in await snapshots_of(session, list(users))
    ]
    await enqueue(session, *events)
