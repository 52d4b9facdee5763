"""The API's request and response bodies."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from services.webhooks.domain.states import AttemptOutcome, HookState
from services.webhooks.domain.targets import MAX_URL_LENGTH
from services.webhooks.usecases.views import ApiKeyView, AttemptView, HookView, NewApiKey
from shared.contracts.users import GroupRef
from shared.schemas import PlainName, RequestModel


class ApiKeyIn(RequestModel):
    name: PlainName = Field(
        min_length=1, max_length=200, description="What the key is for: Zapier…"
    )


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKeyView) -> "ApiKeyOut":
        return cls(**vars(key))


class NewApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    key: str = Field(description="The key itself: shown this once, keep it safe.")
    created_at: datetime

    @classmethod
    def of(cls, new: NewApiKey) -> "NewApiKeyOut":
        identity = new.identity
        return cls(
            id=identity.id,
            name=identity.name,
            prefix=identity.prefix,
            key=new.key,
            created_at=new.created_at,
        )


class MeOut(BaseModel):
    tenant_id: uuid.UUID
    key_id: uuid.UUID
    key_name: str
    key_prefix: str
    label: str = Field(description="A name for the connection, e.g. `Zapier (lms_live_abcd…)`.")


class HookIn(RequestModel):
    target_url: str = Field(
        min_length=1, max_length=MAX_URL_LENGTH, description="Where to POST (https)."
    )
    event: str = Field(min_length=1, max_length=100, description="e.g. user.activated")


class HookOut(BaseModel):
    id: uuid.UUID
    target_url: str
    event: str
    state: HookState
    failing_since: datetime | None = Field(description="First failure since the last success.")
    last_error: str | None
    last_status: int | None = Field(description="HTTP status of the last attempt (null: none).")
    disabled_at: datetime | None
    api_key_id: uuid.UUID | None = Field(description="The API key it was created with.")
    created_at: datetime

    @classmethod
    def of(cls, hook: HookView) -> "HookOut":
        return cls(**vars(hook))


class NewHookOut(HookOut):
    secret: str = Field(
        description="Verifies the `webhook-signature` of every delivery (Standard Webhooks): "
        "shown this once."
    )


class AttemptOut(BaseModel):
    id: uuid.UUID
    delivery_id: uuid.UUID
    event_id: str = Field(description="The payload's `id` and the `webhook-id` header.")
    event: str
    attempt: int = Field(description="1 for the first attempt of this delivery.")
    status: int | None = Field(description="The receiver's HTTP status; null: no answer.")
    outcome: AttemptOutcome
    duration_ms: float
    error: str | None
    at: datetime

    @classmethod
    def of(cls, attempt: AttemptView) -> "AttemptOut":
        return cls(**vars(attempt))


class GroupOut(BaseModel):
    id: uuid.UUID = Field(description="What the Invite User action's `group_ids` takes.")
    name: str

    @classmethod
    def of(cls, group: GroupRef) -> "GroupOut":
        return cls(id=group.id, name=group.name)
