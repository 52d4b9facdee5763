"""the suppression policy: soft bounces counted per address, the notice behind each
listing, the admin's list paged by date

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bounce_counters',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('email_normalized', sa.String(length=320), nullable=False),
    sa.Column('reset_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('soft_bounces', postgresql.ARRAY(sa.DateTime(timezone=True)), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('hard_bounced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'email_normalized', name=op.f('pk_bounce_counters'))
    )
    op.add_column('suppressions', sa.Column('source_event_id', sa.Text(), nullable=True))
    op.add_column('suppressions', sa.Column('source_event_type', sa.String(length=40), nullable=True))
    op.add_column('suppressions', sa.Column('provider', sa.String(length=40), nullable=True))
    op.add_column('suppressions', sa.Column('provider_event_id', sa.Text(), nullable=True))
    op.create_index('ix_suppressions_listed', 'suppressions', ['tenant_id', 'created_at', 'email_normalized'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_suppressions_listed', table_name='suppressions')
    op.drop_column('suppressions', 'provider_event_id')
    op.drop_column('suppressions', 'provider')
    op.drop_column('suppressions', 'source_event_type')
    op.drop_column('suppressions', 'source_event_id')
    op.drop_table('bounce_counters')
