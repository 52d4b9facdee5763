"""One GIN over every filter of the user list, replacing its six GINs, so that a mix of
filters is intersected inside one index scan (posting lists merged in order, skipping
ahead) instead of one bitmap per index built whole and then ANDed: TI + expired + a group
built bitmaps of 167,000, 145,000 and 75,000 rows (~360 ms under load) to keep 1,820

Revision ID: 0009_users_filters_gin
Revises: 0008_group_ids_at_insert
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_users_filters_gin"
down_revision: str | None = "0008_group_ids_at_insert"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILTERS_GIN = (
    "CREATE INDEX ix_users_filters ON users USING gin ("
    "status, role, invitation_state, email_state, login_state, group_ids,"
    " custom_fields jsonb_path_ops, search_text gin_trgm_ops,"
    " email_normalized gin_trgm_ops, text_bigrams(search_text))"
)
REPLACED = {
    "ix_users_states": "(status, role, invitation_state, email_state, login_state)",
    "ix_users_groups": "(group_ids)",
    "ix_users_custom_fields": "(custom_fields jsonb_path_ops)",
    "ix_users_search_trgm": "(search_text gin_trgm_ops)",
    "ix_users_email_trgm": "(email_normalized gin_trgm_ops)",
    "ix_users_search_bigrams": "(text_bigrams(search_text))",
}


def upgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(FILTERS_GIN)
    op.execute(f"DROP INDEX {', '.join(REPLACED)}")
    _analyze()


def downgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for name, columns in REPLACED.items():
        op.execute(f"CREATE INDEX {name} ON users USING gin {columns}")
    op.execute("DROP INDEX ix_users_filters")
    _analyze()


def _analyze() -> None:
    """The letter pairs' statistics belong to the index that holds their expression: a new
    index has none until ANALYZE, and the planner would guess 0.5 % for any pair (5,000 of
    a million rows, where "ab" has 58,000), and collect them all."""
    op.execute("ANALYZE users")
