"""The side table `user_name_pieces` (migration 0011) carries each user's address too,
under a btree in e-mail order that holds the search text: a text search in e-mail order
walks it index-only, without a heap page for each address it passes. A search for
"tremblay" sorted by e-mail (14,761 matches at a million users, in 68 bunches along the
e-mail order, the first 13,939 addresses along) was collected: 13,600 heap pages read to
sort the matches (p95 ~75 ms); the walk passes ~14,000 entries of this index (3-7 ms).
See `db/email_walk.py`.

`users` has no such index: its every update (a deactivation, a bounce, a login) would
write one more entry of ~150 bytes; the side table is written only when a user is
inserted or a name or an address changes (its triggers, now writing the address too).

The table is derived from `users`: it is emptied and filled again with the new column
(its GIN dropped meanwhile and built after, as the seed does), rather than updated row by
row (a second version of every row, and ~55 GIN entries a row written again). Then
VACUUM, outside the migration's transaction: an index-only scan reads a heap page for
each entry whose page the visibility map does not mark all-visible (13,989 heap fetches
for the first page of "tremblay" before it, none after; autovacuum may be off, as on the
benchmark's server, or come much later).

Revision ID: 0013_list_email_walk
Revises: 0012_integration_invitations
Create Date: 2026-12-04 23:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_list_email_walk"
down_revision: str | None = "0012_integration_invitations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_INDEX = (
    "CREATE INDEX ix_user_name_pieces ON user_name_pieces"
    " USING gin (name_initial_trigrams(sort_name, search_text))"
)
EMAIL_INDEX = (
    "CREATE INDEX ix_user_name_pieces_email ON user_name_pieces"
    " (tenant_id, email_normalized, user_id) INCLUDE (search_text)"
)
FILL = (
    "INSERT INTO user_name_pieces (tenant_id, user_id, sort_name, search_text, email_normalized)"
    " SELECT tenant_id, id, sort_name, search_text, email_normalized FROM users"
)
KEEP = (
    """
CREATE OR REPLACE FUNCTION user_name_pieces_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_name_pieces (tenant_id, user_id, sort_name, search_text, email_normalized)
    SELECT tenant_id, id, sort_name, search_text, email_normalized FROM inserted_users;
    RETURN NULL;
END
$$
""",
    """
CREATE OR REPLACE FUNCTION user_name_pieces_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_name_pieces
       SET sort_name = NEW.sort_name, search_text = NEW.search_text,
           email_normalized = NEW.email_normalized
     WHERE tenant_id = NEW.tenant_id AND user_id = NEW.id;
    RETURN NULL;
END
$$
""",
)
# As migration 0011 left them.
KEPT_BEFORE = (
    """
CREATE OR REPLACE FUNCTION user_name_pieces_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_name_pieces (tenant_id, user_id, sort_name, search_text)
    SELECT tenant_id, id, sort_name, search_text FROM inserted_users;
    RETURN NULL;
END
$$
""",
    """
CREATE OR REPLACE FUNCTION user_name_pieces_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_name_pieces SET sort_name = NEW.sort_name, search_text = NEW.search_text
     WHERE tenant_id = NEW.tenant_id AND user_id = NEW.id;
    RETURN NULL;
END
$$
""",
)


def upgrade() -> None:
    op.execute("DROP INDEX ix_user_name_pieces")
    op.execute("TRUNCATE user_name_pieces")
    op.execute("ALTER TABLE user_name_pieces ADD COLUMN email_normalized text NOT NULL")
    op.execute(FILL)
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(NAME_INDEX)
    op.execute(EMAIL_INDEX)
    for statement in KEEP:
        op.execute(statement)
    with op.get_context().autocommit_block():
        op.execute("VACUUM (ANALYZE) user_name_pieces")


def downgrade() -> None:
    for statement in KEPT_BEFORE:
        op.execute(statement)
    op.execute("DROP INDEX ix_user_name_pieces_email")
    op.execute("ALTER TABLE user_name_pieces DROP COLUMN email_normalized")
