"""The webhooks service's tables. `tenant_id` leads every key and index of tenant data,
except where the lookup knows no tenant yet: an API key's hash (the key names no tenant)
and the delivery queue's index (the senders serve every tenant, per receiving server); and
two indexes led by a global UUID that already names its tenant (see there)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.webhooks.domain.states import AttemptOutcome, DeliveryState, HookState
from shared.db import TYPE_ANNOTATION_MAP, new_metadata, stored_as_text


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


UNDELIVERED_SQL = "state IN ('pending', 'sending')"
FINISHED_SQL = "state IN ('delivered', 'failed')"


class ApiKey(Base):
    """An integration's key (Zapier's connection). Only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(40))
    key_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Hook(Base):
    """A REST-hook subscription: one event of one tenant, POSTed to one URL."""

    __tablename__ = "hooks"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(40))
    target_url: Mapped[str] = mapped_column(Text)
    target_key: Mapped[str] = mapped_column(Text)
    # Kept readable: every delivery is signed with it (HMAC needs the secret itself).
    secret: Mapped[str] = mapped_column(Text)
    state: Mapped[HookState] = mapped_column(stored_as_text(HookState))
    api_key_id: Mapped[uuid.UUID | None]  # the key it was created with, if any
    created_by: Mapped[uuid.UUID | None]  # the administrator, if created with a token
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    failing_since: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "ix_hooks_active_event",
            "tenant_id",
            "event",
            postgresql_where=text("state = 'active'"),
        ),
        # By the key alone (a UUID): led by tenant_id, the planner took it for a way to
        # find a hook by its key, and read the tenant's every hook for each delivery.
        Index("ix_hooks_api_key", "api_key_id"),
    )


class EventRecord(Base):
    """Every subscribable event the service saw, as its payload: delivered to each
    subscription from here, and listed newest first as Zapier's samples."""

    __tablename__ = "webhook_events"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[str] = mapped_column(Text, primary_key=True)  # the payload's id, webhook-id
    event: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime]
    ordering_key: Mapped[str] = mapped_column(Text)
    # json, not jsonb: the payload keeps its keys in the order it was built and sent.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        Index("ix_webhook_events_recent", "tenant_id", "event", "occurred_at"),
        Index("ix_webhook_events_received_at", "received_at"),
    )


class DeliveryJob(Base):
    """One event to POST to one subscription, with its attempts so far."""

    __tablename__ = "deliveries"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    hook_id: Mapped[uuid.UUID]
    event_id: Mapped[str] = mapped_column(Text)
    # The hook's receiving server, copied: the queue is read without joining the hooks.
    target_key: Mapped[str] = mapped_column(Text)
    ordering_key: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    state: Mapped[DeliveryState] = mapped_column(
        stored_as_text(DeliveryState), server_default=DeliveryState.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "hook_id"], ["hooks.tenant_id", "hooks.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["tenant_id", "event_id"], ["webhook_events.tenant_id", "webhook_events.id"]
        ),
        UniqueConstraint("tenant_id", "hook_id", "event_id"),  # also: a hook's, to delete them
        # The queue, across tenants, per receiving server: what is due first at each.
        Index(
            "ix_deliveries_target",
            "target_key",
            "next_attempt_at",
            postgresql_where=text(UNDELIVERED_SQL),
        ),
        # "Is an earlier event of this user still undelivered to this hook?" Not led by
        # tenant_id: the hook's id (a UUID) already is the tenant's, and an index led by
        # tenant_id looked to the planner, before any statistics, as good a way to find one
        # delivery by its key as the primary key: it then read the tenant's whole queue.
        Index(
            "ix_deliveries_order",
            "hook_id",
            "ordering_key",
            "occurred_at",
            "seq",
            postgresql_where=text(UNDELIVERED_SQL),
        ),
        Index("ix_deliveries_event", "tenant_id", "event_id"),  # is an old event still used?
        Index("ix_deliveries_finished", "finished_at", postgresql_where=text(FINISHED_SQL)),
    )


class DeliveryAttempt(Base):
    """One POST and what came of it, listed per subscription."""

    __tablename__ = "delivery_attempts"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    hook_id: Mapped[uuid.UUID]
    delivery_id: Mapped[uuid.UUID]
    event_id: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(String(40))
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[AttemptOutcome] = mapped_column(stored_as_text(AttemptOutcome))
    duration_ms: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "hook_id"], ["hooks.tenant_id", "hooks.id"], ondelete="CASCADE"
        ),
        Index("ix_delivery_attempts_hook", "tenant_id", "hook_id", "at", "id"),
        Index("ix_delivery_attempts_at", "at"),
    )


class KnownUser(Base):
    """The latest snapshot of each user seen on the bus: the "before" that reveals a
    new role, and what the search by e-mail answers from."""

    __tablename__ = "known_users"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    email_key: Mapped[str] = mapped_column(String(320))  # lower case
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    event: Mapped[str] = mapped_column(String(40))  # the event that brought this snapshot
    event_id: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime]

    __table_args__ = (Index("ix_known_users_email", "tenant_id", "email_key"),)
