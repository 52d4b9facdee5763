"""An `Email` as a sender claims it, for the rules' tests."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from services.invitations.domain.emails import Email, MailKind

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def email(kind: MailKind = MailKind.INVITATION, **changes: Any) -> Email:
    claimed = Email(
        tenant_id=uuid.uuid4(),
        delivery_id=uuid.uuid4(),
        invitation_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        kind=kind,
        address="marie@example.com",
        first_name="Marie",
        last_name="Tremblay",
        locale="fr",
        tenant_name="Académie Nord",
        requested_at=NOW,
        invitation_open=True,
        invitation_expires_at=NOW + timedelta(hours=20),
        suppressed=None,
        latest_user=None,
        attempts=1,
        message_id="<abc@learn.example.com>",
        issued=None,
    )
    return replace(claimed, **changes)
