"""users.email_skeleton: what each address looks like (its Unicode TR39 skeleton), so that
a new address that looks like another user's (Cyrillic "аdmin" for "admin") is refused

Revision ID: 0007_users_email_skeleton
Revises: 0006_custom_field_versions
Create Date: 2026-12-04 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.directory.domain.addresses import address_skeleton

revision: str = "0007_users_email_skeleton"
down_revision: str | None = "0006_custom_field_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 10_000


def upgrade() -> None:
    op.add_column("users", sa.Column("email_skeleton", sa.Text(), nullable=True))
    connection = op.get_bind()
    users = connection.execute(sa.text("SELECT tenant_id, id, email FROM users")).all()
    update = sa.text("UPDATE users SET email_skeleton = :skeleton WHERE tenant_id = :t AND id = :i")
    for start in range(0, len(users), BATCH):
        rows = [
            {"t": tenant_id, "i": id_, "skeleton": address_skeleton(email)}
            for tenant_id, id_, email in users[start : start + BATCH]
        ]
        connection.execute(update, rows)
    op.alter_column("users", "email_skeleton", nullable=False)
    op.create_index("ix_users_email_skeleton", "users", ["tenant_id", "email_skeleton"])


def downgrade() -> None:
    op.drop_index("ix_users_email_skeleton", table_name="users")
    op.drop_column("users", "email_skeleton")
