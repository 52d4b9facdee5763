"""users.group_ids: each user's groups on the user's row, kept by PostgreSQL from
user_groups, with a GIN index, so that the list intersects a group with any other filter
inside the indexes (the group's memberships were otherwise hashed whole, then joined)

Revision ID: 0005_users_group_ids
Revises: 0004_bulk_jobs
Create Date: 2026-12-04 02:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_users_group_ids"
down_revision: str | None = "0004_bulk_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Statement-level: a statement that adds or removes many links (a group deleted, a user's
# groups replaced) updates each user it touched once.
SYNC_FUNCTION = """
CREATE FUNCTION users_sync_group_ids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users u
       SET group_ids = coalesce(
           (SELECT array_agg(l.group_id ORDER BY l.group_id) FROM user_groups l
             WHERE l.tenant_id = u.tenant_id AND l.user_id = u.id),
           '{}')
      FROM (SELECT DISTINCT tenant_id, user_id FROM changed_links) c
     WHERE u.tenant_id = c.tenant_id AND u.id = c.user_id;
    RETURN NULL;
END
$$
"""
TRIGGERS = {
    "user_groups_added": ("INSERT", "NEW"),
    "user_groups_removed": ("DELETE", "OLD"),
    "user_groups_moved_from": ("UPDATE", "OLD"),
    "user_groups_moved_to": ("UPDATE", "NEW"),
}


def upgrade() -> None:
    op.execute("ALTER TABLE users ADD COLUMN group_ids uuid[] NOT NULL DEFAULT '{}'")
    op.execute(
        "UPDATE users u SET group_ids = l.ids FROM ("
        " SELECT tenant_id, user_id, array_agg(group_id ORDER BY group_id) AS ids"
        " FROM user_groups GROUP BY tenant_id, user_id) l"
        " WHERE u.tenant_id = l.tenant_id AND u.id = l.user_id"
    )
    op.execute("CREATE INDEX ix_users_groups ON users USING gin (group_ids)")
    op.execute(SYNC_FUNCTION)
    for name, (event, rows) in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON user_groups"
            f" REFERENCING {rows} TABLE AS changed_links"
            " FOR EACH STATEMENT EXECUTE FUNCTION users_sync_group_ids()"
        )


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON user_groups")
    op.execute("DROP FUNCTION users_sync_group_ids()")
    op.execute("DROP INDEX ix_users_groups")
    op.execute("ALTER TABLE users DROP COLUMN group_ids")
