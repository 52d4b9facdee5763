"""users.group_ids filled when the user's row is inserted, from links written before it:
an import inserts a batch's memberships first, then its new users, so each new member's
row is written once (the links-first order had the statement trigger of 0005 rewrite
every new member's row just after its insert, with all fifteen of its indexes: 2,000 new
members took 1.5-3.3 s for the links against 0.9-1.3 s for the users themselves; links
first 0.1-0.15 s).

The link's foreign key to users becomes DEFERRABLE (still checked at once unless a
transaction defers it, as the import's batch does): a link may precede its user within
the transaction that inserts both. group_ids stays kept by PostgreSQL alone.

Revision ID: 0008_group_ids_at_insert
Revises: 0007_users_email_skeleton
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_group_ids_at_insert"
down_revision: str | None = "0007_users_email_skeleton"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEY = "fk_user_groups_tenant_id_user_id_users"
AT_INSERT_FUNCTION = """
CREATE FUNCTION users_group_ids_at_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.group_ids := coalesce(
        (SELECT array_agg(l.group_id ORDER BY l.group_id) FROM user_groups l
          WHERE l.tenant_id = NEW.tenant_id AND l.user_id = NEW.id),
        '{}');
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.execute(f"ALTER TABLE user_groups ALTER CONSTRAINT {FOREIGN_KEY} DEFERRABLE")
    op.execute(AT_INSERT_FUNCTION)
    op.execute(
        "CREATE TRIGGER users_group_ids_at_insert BEFORE INSERT ON users"
        " FOR EACH ROW EXECUTE FUNCTION users_group_ids_at_insert()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER users_group_ids_at_insert ON users")
    op.execute("DROP FUNCTION users_group_ids_at_insert()")
    op.execute(f"ALTER TABLE user_groups ALTER CONSTRAINT {FOREIGN_KEY} NOT DEFERRABLE")
