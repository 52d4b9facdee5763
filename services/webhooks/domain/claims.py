"""A delivery taken from the queue by one process, with all it needs to be sent."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.webhooks.domain.events import WebhookEvent
from services.webhooks.domain.payloads import Payload
from services.webhooks.domain.responses import AttemptResult

# An attempt may run a little past its timeout (the answer being read, the outcome put
# in the queue): it starts only if it can run this many timeouts within the lease.
LEASE_MARGIN = 1.5


def is_full(held: int, per_target: int) -> bool:
    """Whether a target for which a process holds `held` of its `per_target` claims is
    left out of the next claim: until it is down to half, so that it is claimed for in
    one claim of that half rather than a trickle of small ones, each a statement and a
    commit for a few rows (bench/webhooks.py: ~10 rows a claim when any room was filled)."""
    return held > per_target // 2


@dataclass(frozen=True)
class ClaimedDelivery:
    tenant_id: uuid.UUID
    id: uuid.UUID
    hook_id: uuid.UUID
    target_url: str
    target_key: str  # the receiving server (`Target.key`): what per-target limits count
    secret: str
    event: WebhookEvent
    event_id: str  # the `webhook-id`, the same on every attempt
    payload: Payload
    attempt: int  # this attempt's number, from 1
    lease_until: datetime  # after this, another process may take it: not sent so late

    def may_start(self, now: datetime, attempt_timeout: timedelta) -> bool:
        """Whether an attempt started now ends (at the latest) within the lease."""
        return now + attempt_timeout * LEASE_MARGIN < self.lease_until


@dataclass(frozen=True)
class FinishedAttempt:
    delivery: ClaimedDelivery
    result: AttemptResult
    at: datetime  # when the answer (or the failure) came
