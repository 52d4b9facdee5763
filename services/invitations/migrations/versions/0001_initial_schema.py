"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-12-01 02:11:02.521807
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.messaging.tables import create_messaging_tables, drop_messaging_tables
from shared.migrations import create_notify_trigger, drop_notify_trigger

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('accept_throttle',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_accept_throttle'))
    )
    op.create_table('invitations',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('email_normalized', sa.String(length=320), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('locale', sa.String(length=2), nullable=False),
    sa.Column('tenant_slug', sa.String(length=63), nullable=False),
    sa.Column('tenant_name', sa.String(length=200), nullable=False),
    sa.Column('requested_by', sa.Uuid(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_resend', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('first_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_invitations'))
    )
    op.create_index('ix_invitations_open_expiry', 'invitations', ['expires_at'], unique=False, postgresql_where=sa.text('accepted_at IS NULL AND revoked_at IS NULL AND expires_at IS NOT NULL'))
    op.create_index('ix_invitations_user', 'invitations', ['tenant_id', 'user_id', 'requested_at'], unique=False)
    op.create_table('known_users',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('deactivated', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'user_id', name=op.f('pk_known_users'))
    )
    op.create_table('suppressions',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('email_normalized', sa.String(length=320), nullable=False),
    sa.Column('cause', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'email_normalized', name=op.f('pk_suppressions'))
    )
    op.create_table('deliveries',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('invitation_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('message_id', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(), nullable=True),
    sa.Column('token_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'invitation_id'], ['invitations.tenant_id', 'invitations.id'], name=op.f('fk_deliveries_tenant_id_invitation_id_invitations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_deliveries'))
    )
    op.create_index('ix_deliveries_due', 'deliveries', ['next_attempt_at'], unique=False, postgresql_where=sa.text("state IN ('pending', 'sending')"))
    op.create_index('uq_deliveries_kind', 'deliveries', ['tenant_id', 'invitation_id', 'kind'], unique=True)
    op.create_index('uq_deliveries_token', 'deliveries', ['token_hash'], unique=True)
    create_messaging_tables()
    # Wakes the sender (LISTEN) when a transaction that queued an e-mail commits.
    create_notify_trigger("deliveries", "invitation_deliveries")


def downgrade() -> None:
    drop_notify_trigger("deliveries")
    drop_messaging_tables()
    op.drop_index('uq_deliveries_token', table_name='deliveries')
    op.drop_index('uq_deliveries_kind', table_name='deliveries')
    op.drop_index('ix_deliveries_due', table_name='deliveries', postgresql_where=sa.text("state IN ('pending', 'sending')"))
    op.drop_table('deliveries')
    op.drop_table('suppressions')
    op.drop_table('known_users')
    op.drop_index('ix_invitations_user', table_name='invitations')
    op.drop_index('ix_invitations_open_expiry', table_name='invitations', postgresql_where=sa.text('accepted_at IS NULL AND revoked_at IS NULL AND expires_at IS NOT NULL'))
    op.drop_table('invitations')
    op.drop_table('accept_throttle')
