"""Events as the other services publish them, for the webhooks service's tests."""

import uuid
from datetime import UTC, datetime
from typing import Any

from shared.contracts.email import EmailBounced
from shared.contracts.exports import ExportCompleted
from shared.contracts.users import (
    BounceKind,
    CustomFieldValue,
    EmailSummary,
    GroupRef,
    InvitationState,
    InvitationSummary,
    UserSnapshot,
    UserStatus,
)
from tests.support.bus import EventPublisher


def snapshot(tenant_id: uuid.UUID, **changes: Any) -> UserSnapshot:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "email": f"lea-{uuid.uuid4().hex[:8]}@example.org",
        "first_name": "Léa",
        "last_name": "Gagnon",
        "phone": "+1 418 555 0199",
        "locale": "fr",
        "role": "learner",
        "status": UserStatus.ACTIVE,
        "groups": [GroupRef(id=uuid.uuid4(), name="Cohorte 7")],
        "custom_fields": [
            CustomFieldValue(key="badge", label="Badge", type="text", value="B-12"),
        ],
        "invitation": InvitationSummary(state=InvitationState.ACCEPTED, accepted_at=now),
        "email_status": EmailSummary(),
        "deactivation": None,
        "activated_at": now,
        "last_login_at": None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    return UserSnapshot(**(values | changes))


def next_version(user: UserSnapshot, **changes: Any) -> UserSnapshot:
    return user.model_copy(update={"version": user.version + 1, **changes})


async def publish_user(
    events: EventPublisher, event_type: str, user: UserSnapshot, *, event_id: str | None = None
) -> dict[str, Any]:
    """Publish a user event; returns the envelope (its `id` is the delivery's id)."""
    return await events.publish(
        event_type, user.tenant_id, user, subject=str(user.id), event_id=event_id
    )


def bounce(user: UserSnapshot) -> EmailBounced:
    return EmailBounced(
        provider="postmark",
        provider_event_id=f"pm-{uuid.uuid4().hex[:10]}",
        email=user.email,
        user_id=user.id,
        occurred_at=datetime.now(UTC),
        kind=BounceKind.HARD,
        reason="550 5.1.1 no such user",
    )


def export_done() -> ExportCompleted:
    return ExportCompleted(
        job_id=uuid.uuid4(),
        requested_by=uuid.uuid4(),
        format="csv",
        row_count=42,
        completed_at=datetime.now(UTC),
    )
