"""`suppression.*` events: the invitations service's suppression list (the addresses it
does not mail) changed in a way someone must be able to see afterwards."""

import uuid
from datetime import datetime
from typing import Literal

from shared.contracts.envelope import Contract

SUPPRESSION_LIFTED = "suppression.lifted"

SuppressionCauseName = Literal["hard_bounce", "soft_bounces", "complaint"]


class SuppressionLifted(Contract):
    """The address may be mailed again: an administrator lifted its suppression
    (`lifted_by`), or a delivery that happened after the bounce that listed it did
    (`lifted_by` null; a complaint is never lifted that way)."""

    email: str
    cause: SuppressionCauseName
    reason: str  # what the notice that listed the address said (SMTP reply, feedback type)
    suppressed_since: datetime
    lifted_at: datetime
    lifted_by: uuid.UUID | None = None
