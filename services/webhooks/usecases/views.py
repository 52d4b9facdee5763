"""What the use cases hand back to the API: plain values, never rows."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.webhooks.db.models import ApiKey, DeliveryAttempt, Hook
from services.webhooks.domain.callers import KeyIdentity
from services.webhooks.domain.states import AttemptOutcome, HookState
from shared.contracts.users import GroupRef


@dataclass(frozen=True)
class ApiKeyView:
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> "ApiKeyView":
        return cls(key.id, key.name, key.prefix, key.created_at, key.last_used_at, key.revoked_at)


@dataclass(frozen=True)
class NewApiKey:
    identity: KeyIdentity
    key: str  # shown this once, never stored
    created_at: datetime


@dataclass(frozen=True)
class HookView:
    id: uuid.UUID
    target_url: str
    event: str
    state: HookState
    failing_since: datetime | None
    last_error: str | None
    last_status: int | None
    disabled_at: datetime | None
    api_key_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, hook: Hook) -> "HookView":
        return cls(
            hook.id,
            hook.target_url,
            hook.event,
            hook.state,
            hook.failing_since,
            hook.last_error,
            hook.last_status,
            hook.disabled_at,
            hook.api_key_id,
            hook.created_at,
        )


@dataclass(frozen=True)
class NewHook:
    hook: HookView
    secret: str  # shown this once; the receiver verifies signatures with it


@dataclass(frozen=True)
class AttemptView:
    id: uuid.UUID
    delivery_id: uuid.UUID
    event_id: str
    event: str
    attempt: int
    status: int | None
    outcome: AttemptOutcome
    duration_ms: float
    error: str | None
    at: datetime

    @classmethod
    def of(cls, row: DeliveryAttempt) -> "AttemptView":
        return cls(
            row.id,
            row.delivery_id,
            row.event_id,
            row.event,
            row.attempt,
            row.status,
            row.outcome,
            round(row.duration_ms, 1),
            row.error,
            row.at,
        )


@dataclass(frozen=True)
class AttemptsPage:
    items: list[AttemptView]
    next_cursor: str | None
    total: int


@dataclass(frozen=True)
class GroupsPage:
    items: list[GroupRef]
    next_cursor: str | None
    total: int
