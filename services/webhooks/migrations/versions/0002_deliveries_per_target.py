"""The delivery queue read per receiving server: an index on (target_key,
next_attempt_at) of undelivered deliveries replaces the one on next_attempt_at alone.
A claim finds the targets with one descent each and reads each one's oldest due
deliveries, up to its room; a target that is full (a receiver that never answers) costs
nothing, where in due order every claim read past its whole backlog first.

Revision ID: 0002_deliveries_per_target
Revises: 0001
Create Date: 2026-12-04 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_deliveries_per_target"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNDELIVERED = sa.text("state IN ('pending', 'sending')")


def upgrade() -> None:
    op.create_index(
        "ix_deliveries_target",
        "deliveries",
        ["target_key", "next_attempt_at"],
        postgresql_where=UNDELIVERED,
    )
    op.drop_index("ix_deliveries_due", table_name="deliveries", postgresql_where=UNDELIVERED)


def downgrade() -> None:
    op.create_index(
        "ix_deliveries_due", "deliveries", ["next_attempt_at"], postgresql_where=UNDELIVERED
    )
    op.drop_index("ix_deliveries_target", table_name="deliveries", postgresql_where=UNDELIVERED)
