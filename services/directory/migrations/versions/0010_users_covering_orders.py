"""The name order's and the newest-first order's indexes carry every filter of the list
but the custom fields, so that a walk of those orders checks its filters in the index
alone: an index-only scan, no heap page read for a row that does not match (index-only
scans skip the heap on the pages that the visibility map marks all-visible, as VACUUM
keeps them). On a million users: `expired + group` newest first read ~11,000 heap pages to
fill a page of 51 (17-26 ms), 3.5-4.7 ms from the index; `q=lé` by name 7,600 heap rows
(12.5 ms), 3 ms. They replace `ix_users_created` and `ix_users_sort_name` (same keys), so
that a user's insert still writes one entry in each order, only a wider one (~250-300
bytes against ~60-70; 314 and 292 MB against 68 and 56 MB at 1 M).

Revision ID: 0010_users_covering_orders
Revises: 0009_users_filters_gin
Create Date: 2026-12-04 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_users_covering_orders"
down_revision: str | None = "0009_users_filters_gin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERS = (
    "status, role, invitation_state, invitation_expires_at, email_state, login_state,"
    " last_login_sort, group_ids, email_normalized, search_text"
)
REPLACED = {  # the covering index: the one it replaces, their key, what else it carries
    "ix_users_created_filters": ("ix_users_created", "tenant_id, created_at, id", COVERS),
    "ix_users_sort_name_filters": (
        "ix_users_sort_name",
        "tenant_id, sort_name, id",
        f"{COVERS}, created_at",
    ),
}


def upgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for name, (replaced, key, covers) in REPLACED.items():
        op.execute(f"CREATE INDEX {name} ON users ({key}) INCLUDE ({covers})")
        op.execute(f"DROP INDEX {replaced}")


def downgrade() -> None:
    for name, (replaced, key, _) in REPLACED.items():
        op.execute(f"CREATE INDEX {replaced} ON users ({key})")
        op.execute(f"DROP INDEX {name}")
