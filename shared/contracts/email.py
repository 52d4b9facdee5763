"""`email.*` events: what an e-mail provider reported about a message we sent."""

import uuid
from datetime import datetime

from shared.contracts.envelope import Contract
from shared.contracts.users import BounceKind

EMAIL_BOUNCED = "email.bounced"
EMAIL_COMPLAINED = "email.complained"
EMAIL_DELIVERED = "email.delivered"


class EmailEvent(Contract):
    provider: str
    provider_event_id: str
    email: str
    message_id: str | None = None
    user_id: uuid.UUID | None = None
    occurred_at: datetime


class EmailBounced(EmailEvent):
    kind: BounceKind
    reason: str
    smtp_status: str | None = None  # the enhanced status (5.1.1) when known, else the code


class EmailComplained(EmailEvent):
    feedback_type: str | None = None


class EmailDelivered(EmailEvent):
    pass
