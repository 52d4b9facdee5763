"""A delivery taken from the queue by one process, with all it needs to be sent."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.webhooks.domain.events import WebhookEvent
from services.webhooks.domain.payloads import Payload
from services.webhooks.domain.responses import AttemptResult


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


@dataclass(frozen=True)
class FinishedAttempt:
    delivery: ClaimedDelivery
    result: AttemptResult
    at: datetime  # when the answer (or the failure) came
