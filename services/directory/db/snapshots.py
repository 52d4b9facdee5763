"""The user snapshot every `user.*` event carries: the user as the directory holds them,
with their groups and custom-field values."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import custom_fields as fields_db
from services.directory.db import users as users_db
from services.directory.db.models import CustomField, User
from services.directory.domain.custom_fields import values_shown
from services.directory.domain.users import shows_deactivation
from shared.contracts.users import (
    Deactivation,
    EmailSummary,
    GroupRef,
    InvitationSummary,
    UserSnapshot,
)


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
        status=user.status,
        groups=groups,
        custom_fields=values_shown(user.custom_fields or {}, fields),
        invitation=InvitationSummary(
            state=user.invitation_state,
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
            state=user.email_state,
            delivered_at=user.email_delivered_at,
            bounce_kind=user.email_bounce_kind,
            reason=user.email_state_reason,
            changed_at=user.email_state_changed_at,
        ),
        deactivation=(
            Deactivation(
                at=user.deactivated_at, by=user.deactivated_by, reason=user.deactivation_reason
            )
            if shows_deactivation(user) and user.deactivated_at is not None
            else None
        ),
        activated_at=user.activated_at,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
        updated_at=user.updated_at,
        version=user.version,
    )


async def snapshots_of(session: AsyncSession, users: Sequence[User]) -> list[UserSnapshot]:
    """The snapshots of users of one tenant, in the same order."""
    if not users:
        return []
    tenant_id = users[0].tenant_id
    groups = await users_db.groups_of(session, tenant_id, [u.id for u in users])
    fields = await fields_db.list_fields(session, tenant_id)
    return [build_snapshot(u, groups.get(u.id, []), fields) for u in users]
