"""login failures counted per bucket (account and client, client, account), known devices

Revision ID: 0003_login_buckets
Revises: 0002_suppressions
Create Date: 2026-12-04 01:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_login_buckets'
down_revision: str | None = '0002_suppressions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The old per-account-name counters can't be turned into the new buckets (they lack
    # the client address): they are dropped, every count starts over.
    op.drop_table('login_throttle')
    op.create_table('login_failures',
    sa.Column('key_hash', sa.LargeBinary(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_login_failures'))
    )
    op.create_index('ix_login_failures_last', 'login_failures', ['last_failure_at'])
    op.create_table('known_devices',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'user_id'], ['users.tenant_id', 'users.id'], name=op.f('fk_known_devices_tenant_id_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'token_hash', name=op.f('pk_known_devices'))
    )
    op.create_index('ix_known_devices_user', 'known_devices', ['tenant_id', 'user_id'])


def downgrade() -> None:
    op.drop_table('known_devices')
    op.drop_table('login_failures')
    op.create_table('login_throttle',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('email_normalized', sa.String(length=320), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'email_normalized', name=op.f('pk_login_throttle'))
    )
