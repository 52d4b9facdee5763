"""export_fields kept from the directory's `custom_field.*` definitions: their choices,
the definition's version (0: only seen in a user's snapshot so far) and deletion

Revision ID: 0002_field_definitions
Revises: 0001
Create Date: 2026-12-04 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_field_definitions"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "export_fields",
        sa.Column("choices", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column(
        "export_fields", sa.Column("version", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.add_column(
        "export_fields", sa.Column("deleted", sa.Boolean(), server_default="false", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("export_fields", "deleted")
    op.drop_column("export_fields", "version")
    op.drop_column("export_fields", "choices")
