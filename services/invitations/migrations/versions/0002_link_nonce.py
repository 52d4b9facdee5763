"""deliveries.token_nonce: a resend derives the same link

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('deliveries', sa.Column('token_nonce', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column('deliveries', 'token_nonce')
