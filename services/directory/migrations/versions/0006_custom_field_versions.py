"""custom_fields.version: each definition's version, from one sequence, so that the
`custom_field.*` events it publishes can be kept newest-wins by their consumers (a field
deleted and defined again under the same key is newer than its deletion)

Revision ID: 0006_custom_field_versions
Revises: 0005_users_group_ids
Create Date: 2026-12-04 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_custom_field_versions"
down_revision: str | None = "0005_users_group_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE custom_field_versions")
    op.execute(
        "ALTER TABLE custom_fields ADD COLUMN version bigint NOT NULL "
        "DEFAULT nextval('custom_field_versions')"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE custom_fields DROP COLUMN version")
    op.execute("DROP SEQUENCE custom_field_versions")
