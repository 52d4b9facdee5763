"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-12-03 20:27:05.312786
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.messaging.tables import create_messaging_tables, drop_messaging_tables
from shared.migrations import drop_notify_trigger

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mailgun_tokens',
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_mailgun_tokens'))
    )
    op.create_index('ix_mailgun_tokens_seen', 'mailgun_tokens', ['seen_at'], unique=False)
    op.create_table('notices',
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_event_id', sa.Text(), nullable=False),
    sa.Column('raw_event_id', sa.Uuid(), nullable=True),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('bounce_kind', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('smtp_status', sa.String(length=40), nullable=True),
    sa.Column('message_id', sa.Text(), nullable=True),
    sa.Column('provider_message_id', sa.Text(), nullable=True),
    sa.Column('feedback_type', sa.Text(), nullable=True),
    sa.Column('tag_tenant_id', sa.Uuid(), nullable=True),
    sa.Column('tag_user_id', sa.Uuid(), nullable=True),
    sa.Column('tag_invitation_id', sa.Uuid(), nullable=True),
    sa.Column('tag_kind', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('matched_by', sa.String(length=20), nullable=True),
    sa.Column('event_id', sa.Uuid(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('provider', 'provider_event_id', name=op.f('pk_notices'))
    )
    op.create_index('ix_notices_received', 'notices', ['received_at'], unique=False)
    op.create_index('ix_notices_tenant_user', 'notices', ['tenant_id', 'user_id', 'occurred_at'], unique=False)
    op.create_index('ix_notices_waiting_message', 'notices', ['message_id'], unique=False, postgresql_where=sa.text("status = 'unmatched'"))
    op.create_index('ix_notices_waiting_recipient', 'notices', ['recipient'], unique=False, postgresql_where=sa.text("status = 'unmatched'"))
    op.create_index('ix_notices_waiting_tags', 'notices', ['tag_tenant_id', 'tag_invitation_id', 'tag_user_id'], unique=False, postgresql_where=sa.text("status = 'unmatched'"))
    op.create_table('raw_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('headers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_raw_events'))
    )
    op.create_index('ix_raw_events_received', 'raw_events', ['received_at', 'id'], unique=False)
    op.create_table('sent_messages',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('message_id', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('invitation_id', sa.Uuid(), nullable=True),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_reminder', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'message_id', name=op.f('pk_sent_messages'))
    )
    op.create_index('ix_sent_messages_address', 'sent_messages', ['address', 'sent_at'], unique=False)
    op.create_index('ix_sent_messages_invitation', 'sent_messages', ['tenant_id', 'invitation_id', 'sent_at'], unique=False)
    op.create_index('ix_sent_messages_message_id', 'sent_messages', ['message_id'], unique=False)
    op.create_index('ix_sent_messages_user', 'sent_messages', ['tenant_id', 'user_id', 'sent_at'], unique=False)
    create_messaging_tables()
    # No NOTIFY on this outbox: every provider request commits events, and a transaction
    # that notifies holds a lock shared by the whole server until its commit is flushed,
    # so such commits go one at a time (measured with 16 connections: 285-407 commits/s
    # with the trigger, 685-1582 without). The relay polls instead (OUTBOX_POLL_SECONDS).
    drop_notify_trigger("outbox")


def downgrade() -> None:
    drop_messaging_tables()
    op.drop_index('ix_sent_messages_user', table_name='sent_messages')
    op.drop_index('ix_sent_messages_message_id', table_name='sent_messages')
    op.drop_index('ix_sent_messages_invitation', table_name='sent_messages')
    op.drop_index('ix_sent_messages_address', table_name='sent_messages')
    op.drop_table('sent_messages')
    op.drop_index('ix_raw_events_received', table_name='raw_events')
    op.drop_table('raw_events')
    op.drop_index('ix_notices_waiting_tags', table_name='notices', postgresql_where=sa.text("status = 'unmatched'"))
    op.drop_index('ix_notices_waiting_recipient', table_name='notices', postgresql_where=sa.text("status = 'unmatched'"))
    op.drop_index('ix_notices_waiting_message', table_name='notices', postgresql_where=sa.text("status = 'unmatched'"))
    op.drop_index('ix_notices_tenant_user', table_name='notices')
    op.drop_index('ix_notices_received', table_name='notices')
    op.drop_table('notices')
    op.drop_index('ix_mailgun_tokens_seen', table_name='mailgun_tokens')
    op.drop_table('mailgun_tokens')
