"""the admin role may see and lift the suppression list (suppressions:manage)

Revision ID: 0002_suppressions
Revises: 0001
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

from alembic import op

# A name rather than a bare number: other branches add directory migrations at the same time.
revision: str = '0002_suppressions'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERMISSION = "suppressions:manage"


def upgrade() -> None:
    op.execute(
        f"UPDATE roles SET permissions = array_append(permissions, '{PERMISSION}')"
        f" WHERE key = 'admin' AND NOT ('{PERMISSION}' = ANY(permissions))"
    )


def downgrade() -> None:
    op.execute(f"UPDATE roles SET permissions = array_remove(permissions, '{PERMISSION}')")
