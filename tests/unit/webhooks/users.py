"""User snapshots as the directory publishes them, for the webhooks' unit tests."""

import uuid
from datetime import UTC, datetime
from typing import Any

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

TENANT = uuid.UUID("5a4f0c1e-0000-4000-8000-000000000001")
USER = uuid.UUID("5a4f0c1e-0000-4000-8000-000000000002")
CREATED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def snapshot(**changes: Any) -> UserSnapshot:
    values: dict[str, Any] = {
        "id": USER,
        "tenant_id": TENANT,
        "email": "marie.dubois@example.org",
        "first_name": "Marie",
        "last_name": "Dubois",
        "phone": "+33 6 12 34 56 78",
        "locale": "fr",
        "role": "learner",
        "status": UserStatus.ACTIVE,
        "groups": [
            GroupRef(id=uuid.uuid4(), name="Nurses 2025"),
            GroupRef(id=uuid.uuid4(), name="Lyon"),
        ],
        "custom_fields": [
            CustomFieldValue(key="badge", label="Badge", type="text", value="B-77"),
            CustomFieldValue(key="hours", label="Hours", type="number", value=12.5),
            CustomFieldValue(key="mentor", label="Mentor", type="boolean", value=False),
        ],
        "invitation": InvitationSummary(
            state=InvitationState.ACCEPTED,
            last_sent_at=datetime(2025, 3, 1, 9, 0, 5, tzinfo=UTC),
            expires_at=datetime(2025, 3, 8, 9, 0, tzinfo=UTC),
            accepted_at=datetime(2025, 3, 2, 18, 30, tzinfo=UTC),
        ),
        "email_status": EmailSummary(
            state=EmailState.BOUNCED,
            bounce_kind=BounceKind.SOFT,
            reason="mailbox full",
            changed_at=datetime(2025, 3, 3, tzinfo=UTC),
        ),
        "deactivation": None,
        "activated_at": datetime(2025, 3, 2, 18, 30, tzinfo=UTC),
        "last_login_at": None,
        "created_at": CREATED,
        "updated_at": datetime(2025, 3, 4, 10, 15, tzinfo=UTC),
        "version": 4,
    }
    return UserSnapshot(**(values | changes))


def deactivated(**changes: Any) -> UserSnapshot:
    return snapshot(
        status=UserStatus.DEACTIVATED,
        deactivation=Deactivation(at=datetime(2025, 4, 1, tzinfo=UTC), by=None, reason="left"),
        **changes,
    )
