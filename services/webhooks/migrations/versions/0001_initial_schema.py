"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-12-03 20:26:35.058196
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.messaging.tables import create_messaging_tables, drop_messaging_tables
from shared.migrations import create_notify_trigger, drop_notify_trigger

# A delivery queued wakes the senders at once (LISTEN) instead of at their next poll.
DELIVERIES_CHANNEL = 'webhook_deliveries'

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('prefix', sa.String(length=40), nullable=False),
    sa.Column('key_hash', sa.LargeBinary(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    op.create_table('hooks',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('target_url', sa.Text(), nullable=False),
    sa.Column('target_key', sa.Text(), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('active', 'disabled', name='hookstate', native_enum=False, length=20), nullable=False),
    sa.Column('api_key_id', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('failing_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_hooks'))
    )
    op.create_index('ix_hooks_active_event', 'hooks', ['tenant_id', 'event'], unique=False, postgresql_where=sa.text("state = 'active'"))
    op.create_index('ix_hooks_api_key', 'hooks', ['api_key_id'], unique=False)
    op.create_table('known_users',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('email_key', sa.String(length=320), nullable=False),
    sa.Column('snapshot', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('event_id', sa.Text(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'user_id', name=op.f('pk_known_users'))
    )
    op.create_index('ix_known_users_email', 'known_users', ['tenant_id', 'email_key'], unique=False)
    op.create_table('webhook_events',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ordering_key', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_webhook_events'))
    )
    op.create_index('ix_webhook_events_received_at', 'webhook_events', ['received_at'], unique=False)
    op.create_index('ix_webhook_events_recent', 'webhook_events', ['tenant_id', 'event', 'occurred_at'], unique=False)
    op.create_table('deliveries',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('hook_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Text(), nullable=False),
    sa.Column('target_key', sa.Text(), nullable=False),
    sa.Column('ordering_key', sa.Text(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.Enum('pending', 'sending', 'delivered', 'failed', name='deliverystate', native_enum=False, length=20), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'event_id'], ['webhook_events.tenant_id', 'webhook_events.id'], name=op.f('fk_deliveries_tenant_id_event_id_webhook_events')),
    sa.ForeignKeyConstraint(['tenant_id', 'hook_id'], ['hooks.tenant_id', 'hooks.id'], name=op.f('fk_deliveries_tenant_id_hook_id_hooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('tenant_id', 'hook_id', 'event_id', name=op.f('uq_deliveries_tenant_id_hook_id_event_id'))
    )
    op.create_index('ix_deliveries_due', 'deliveries', ['next_attempt_at'], unique=False, postgresql_where=sa.text("state IN ('pending', 'sending')"))
    op.create_index('ix_deliveries_event', 'deliveries', ['tenant_id', 'event_id'], unique=False)
    op.create_index('ix_deliveries_finished', 'deliveries', ['finished_at'], unique=False, postgresql_where=sa.text("state IN ('delivered', 'failed')"))
    op.create_index('ix_deliveries_order', 'deliveries', ['hook_id', 'ordering_key', 'occurred_at', 'seq'], unique=False, postgresql_where=sa.text("state IN ('pending', 'sending')"))
    op.create_table('delivery_attempts',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('hook_id', sa.Uuid(), nullable=False),
    sa.Column('delivery_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Text(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.Enum('delivered', 'retrying', 'exhausted', 'gone', name='attemptoutcome', native_enum=False, length=20), nullable=False),
    sa.Column('duration_ms', sa.Float(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'hook_id'], ['hooks.tenant_id', 'hooks.id'], name=op.f('fk_delivery_attempts_tenant_id_hook_id_hooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_delivery_attempts'))
    )
    op.create_index('ix_delivery_attempts_at', 'delivery_attempts', ['at'], unique=False)
    op.create_index('ix_delivery_attempts_hook', 'delivery_attempts', ['tenant_id', 'hook_id', 'at', 'id'], unique=False)
    create_messaging_tables()
    create_notify_trigger('deliveries', DELIVERIES_CHANNEL)


def downgrade() -> None:
    drop_notify_trigger('deliveries')
    drop_messaging_tables()
    op.drop_index('ix_delivery_attempts_hook', table_name='delivery_attempts')
    op.drop_index('ix_delivery_attempts_at', table_name='delivery_attempts')
    op.drop_table('delivery_attempts')
    op.drop_index('ix_deliveries_order', table_name='deliveries', postgresql_where=sa.text("state IN ('pending', 'sending')"))
    op.drop_index('ix_deliveries_event', table_name='deliveries')
    op.drop_index('ix_deliveries_finished', table_name='deliveries', postgresql_where=sa.text("state IN ('delivered', 'failed')"))
    op.drop_index('ix_deliveries_due', table_name='deliveries', postgresql_where=sa.text("state IN ('pending', 'sending')"))
    op.drop_table('deliveries')
    op.drop_index('ix_webhook_events_recent', table_name='webhook_events')
    op.drop_index('ix_webhook_events_received_at', table_name='webhook_events')
    op.drop_table('webhook_events')
    op.drop_index('ix_known_users_email', table_name='known_users')
    op.drop_table('known_users')
    op.drop_index('ix_hooks_api_key', table_name='hooks')
    op.drop_index('ix_hooks_active_event', table_name='hooks', postgresql_where=sa.text("state = 'active'"))
    op.drop_table('hooks')
    op.drop_table('api_keys')
