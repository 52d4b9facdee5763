"""The outbox and inbox tables, the same in every service's database.

Each service's first migration creates them with `create_messaging_tables`.
"""

from alembic import op
from sqlalchemy import Column, DateTime, Index, Integer, Table, Text, Uuid, func, text

from shared.db import new_metadata
from shared.migrations import create_notify_trigger, drop_notify_trigger

messaging_metadata = new_metadata()

outbox = Table(
    "outbox",
    messaging_metadata,
    Column("id", Uuid, primary_key=True),
    Column("routing_key", Text, nullable=False),
    Column("body", Text, nullable=False, comment="The serialized CloudEvent, published as is."),
    Column("correlation_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("available_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
)
Index(
    "ix_outbox_pending",
    outbox.c.available_at,
    postgresql_where=outbox.c.published_at.is_(None),
)
Index(
    "ix_outbox_published",
    outbox.c.published_at,
    postgresql_where=outbox.c.published_at.is_not(None),
)

processed_messages = Table(
    "processed_messages",
    messaging_metadata,
    Column("consumer", Text, primary_key=True),
    Column("message_id", Text, primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_processed_messages_processed_at", processed_messages.c.processed_at)


OUTBOX_CHANNEL = "outbox"


def create_messaging_tables() -> None:
    """For a service's Alembic migration: create the outbox and inbox tables.

    A statement trigger wakes the relay (LISTEN outbox) when a transaction that wrote
    events commits, so events go out at once without an extra round trip per write.
    """
    messaging_metadata.create_all(op.get_bind())
    create_notify_trigger("outbox", OUTBOX_CHANNEL)


def drop_messaging_tables() -> None:
    drop_notify_trigger("outbox")
    messaging_metadata.drop_all(op.get_bind())
