"""The states a subscription, a queued delivery and an attempt can be in."""

from enum import StrEnum


class HookState(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"  # failed for too long, or its API key was revoked; can be re-enabled


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENDING = "sending"  # claimed by a process until its lease runs out
    DELIVERED = "delivered"
    FAILED = "failed"  # attempts exhausted, or its subscription was disabled


UNDELIVERED = (DeliveryState.PENDING, DeliveryState.SENDING)


class AttemptOutcome(StrEnum):
    """What one attempt led to (the `outcome` of an attempt and of the metric)."""

    DELIVERED = "delivered"
    RETRYING = "retrying"  # failed; another attempt is scheduled
    EXHAUSTED = "exhausted"  # failed, and it was the last attempt
    GONE = "gone"  # 410: the subscription is deleted
