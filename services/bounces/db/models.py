"""The bounces service's tables.

`tenant_id` leads every key of tenant data, with three exceptions, each because the thing
looked up carries no tenant: a raw request (a provider posts for every tenant at once), a
notice's de-duplication key (the provider's event id is unique per provider, and the
tenant is known only once the notice is matched), and the index of sent messages by
Message-ID and by address (what a notice gives us to find the message by).
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, LargeBinary, String, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import TYPE_ANNOTATION_MAP, new_metadata

_WAITING = text("status = 'unmatched'")


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class RawEvent(Base):
    """An authentic request exactly as received: what `replay` normalises again."""

    __tablename__ = "raw_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime]
    headers: Mapped[dict[str, Any]] = mapped_column(JSONB)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    outcome: Mapped[str] = mapped_column(String(30))  # RawOutcome
    detail: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_raw_events_received", "received_at", "id"),)


class NoticeRecord(Base):
    """One notice, normalised, once per provider event: its key is the de-duplication."""

    __tablename__ = "notices"

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    provider_event_id: Mapped[str] = mapped_column(Text, primary_key=True)
    raw_event_id: Mapped[uuid.UUID | None]
    type: Mapped[str] = mapped_column(String(20))  # NoticeType
    recipient: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    bounce_kind: Mapped[str | None] = mapped_column(String(20))  # BounceKind
    reason: Mapped[str | None] = mapped_column(Text)
    smtp_status: Mapped[str | None] = mapped_column(String(40))
    message_id: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(Text)
    feedback_type: Mapped[str | None] = mapped_column(Text)
    tag_tenant_id: Mapped[uuid.UUID | None]
    tag_user_id: Mapped[uuid.UUID | None]
    tag_invitation_id: Mapped[uuid.UUID | None]
    tag_kind: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))  # NoticeStatus
    detail: Mapped[str | None] = mapped_column(Text)
    tenant_id: Mapped[uuid.UUID | None]  # from the match, never from the request
    user_id: Mapped[uuid.UUID | None]
    matched_by: Mapped[str | None] = mapped_column(String(20))  # MatchedBy
    event_id: Mapped[uuid.UUID | None]  # the event published for it
    received_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_notices_tenant_user", "tenant_id", "user_id", "occurred_at"),
        Index("ix_notices_received", "received_at"),
        # Notices waiting for their message (matched when `invitation.sent` arrives).
        Index("ix_notices_waiting_message", "message_id", postgresql_where=_WAITING),
        Index("ix_notices_waiting_recipient", "recipient", postgresql_where=_WAITING),
        Index(
            "ix_notices_waiting_tags",
            "tag_tenant_id",
            "tag_invitation_id",
            "tag_user_id",
            postgresql_where=_WAITING,
        ),
    )


class SentMessageRecord(Base):
    """The index of messages the platform sent (from `invitation.sent`)."""

    __tablename__ = "sent_messages"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[uuid.UUID]
    invitation_id: Mapped[uuid.UUID | None]
    address: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]
    is_reminder: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_sent_messages_message_id", "message_id"),
        Index("ix_sent_messages_invitation", "tenant_id", "invitation_id", "sent_at"),
        Index("ix_sent_messages_user", "tenant_id", "user_id", "sent_at"),
        Index("ix_sent_messages_address", "address", "sent_at"),
    )


class MailgunToken(Base):
    """Mailgun's single-use tokens, kept as long as a signed timestamp stays fresh."""

    __tablename__ = "mailgun_tokens"

    token: Mapped[str] = mapped_column(Text, primary_key=True)
    seen_at: Mapped[datetime]

    __table_args__ = (Index("ix_mailgun_tokens_seen", "seen_at"),)


def table_of(model: type[Base]) -> Table:
    """The Core table of a model, for statements built once and given their parameters."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
