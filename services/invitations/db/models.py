"""The invitations service's tables. `tenant_id` leads every key of tenant data, except
the token hash: a link carries no tenant, so it is looked up by its hash alone."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    DateTime,
    Enum,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.invitations.domain.emails import OPEN_STATES, DeliveryState, MailKind
from services.invitations.domain.suppression import SuppressionCause
from shared.db import new_metadata

Timestamp = DateTime(timezone=True)


def _state(enum: type[StrEnum]) -> Enum:
    """An enum kept as its value in a VARCHAR(20) column."""
    return Enum(
        enum,
        native_enum=False,
        length=20,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = new_metadata()


class Invitation(Base):
    """One `invitation.requested` (its request_id is the id): at most one e-mail."""

    __tablename__ = "invitations"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    email: Mapped[str] = mapped_column(String(320))
    email_normalized: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(2))
    tenant_slug: Mapped[str] = mapped_column(String(63))
    tenant_name: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[uuid.UUID | None]
    requested_at: Mapped[datetime] = mapped_column(Timestamp)
    is_resend: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    first_sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    accepted_at: Mapped[datetime | None] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_invitations_user", "tenant_id", "user_id", "requested_at"),
        Index(
            "ix_invitations_open_expiry",
            "expires_at",
            postgresql_where=text(
                "accepted_at IS NULL AND revoked_at IS NULL AND expires_at IS NOT NULL"
            ),
        ),
    )


class Delivery(Base):
    """One e-mail to send (the invitation, or its reminder) and the record that makes
    it go out once: claimed, sent, then recorded, each step committed."""

    __tablename__ = "deliveries"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    invitation_id: Mapped[uuid.UUID]
    kind: Mapped[MailKind] = mapped_column(_state(MailKind))
    state: Mapped[DeliveryState] = mapped_column(
        _state(DeliveryState), server_default=DeliveryState.PENDING.value
    )
    message_id: Mapped[str | None] = mapped_column(Text)  # set at the first claim
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    token_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The link's token is derived from this nonce and LINK_SECRET (domain/links.py): kept
    # while an e-mail's outcome is unknown, so a resend carries the same link.
    token_nonce: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "invitation_id"],
            ["invitations.tenant_id", "invitations.id"],
            ondelete="CASCADE",
        ),
        Index("uq_deliveries_kind", "tenant_id", "invitation_id", "kind", unique=True),
        Index("uq_deliveries_token", "token_hash", unique=True),
        Index(
            "ix_deliveries_due",
            "next_attempt_at",
            postgresql_where=text(f"state IN ({', '.join(repr(s.value) for s in OPEN_STATES)})"),
        ),
    )


class Suppression(Base):
    """An address (per tenant) that must not be mailed (domain/suppression.py: why)."""

    __tablename__ = "suppressions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email_normalized: Mapped[str] = mapped_column(String(320), primary_key=True)
    cause: Mapped[SuppressionCause] = mapped_column(_state(SuppressionCause))
    detail: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime] = mapped_column(Timestamp)  # when the notice that listed it happened
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    # The notice that listed it (null for addresses listed before they were kept).
    source_event_id: Mapped[str | None] = mapped_column(Text)
    source_event_type: Mapped[str | None] = mapped_column(String(40))
    provider: Mapped[str | None] = mapped_column(String(40))
    provider_event_id: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # The admin's list, newest first, a page at a time (keyset).
        Index("ix_suppressions_listed", "tenant_id", "created_at", "email_normalized"),
    )


class BounceCounter(Base):
    """An address's bounces since its latest delivery or lift (`reset_at`): the soft ones
    in a row, the latest hard one. One row per (tenant, address) mail was reported about."""

    __tablename__ = "bounce_counters"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email_normalized: Mapped[str] = mapped_column(String(320), primary_key=True)
    reset_at: Mapped[datetime | None] = mapped_column(Timestamp)
    soft_bounces: Mapped[list[datetime]] = mapped_column(
        ARRAY(Timestamp), server_default=text("'{}'")
    )
    hard_bounced_at: Mapped[datetime | None] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class KnownUser(Base):
    """The latest user snapshot seen on the bus (newer versions replace older ones)."""

    __tablename__ = "known_users"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    email: Mapped[str] = mapped_column(String(320))
    deactivated: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class AcceptThrottle(Base):
    """Form submissions counted per link and per client, in fixed windows."""

    __tablename__ = "accept_throttle"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(Timestamp)
    count: Mapped[int] = mapped_column(Integer)
