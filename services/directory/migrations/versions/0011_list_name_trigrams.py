"""The search text's three-letter pieces, each tagged with the initial of the user's sort
name, in one GIN over a side table (`user_name_pieces`: each user's sort name and search
text), so that the user list can find a text term's matches outside one initial's stretch
of the name order without reading a heap page for every match inside it. A search for
"tremblay" in name order (14,761 matches at a million users, all of them under "t") read
13,605 heap pages to sort them; now it walks the "t" stretch of the name index from its
start (index-only) and looks up the few matches under the other initials by their tagged
pieces ("a" + "mbl", ...: empty lists). See `db/user_search.py` (`seek_page`).

The tags are 26 letters a-z and "~" for any other initial (digits, accented letters), so
that the list can name every tag but one in a query.

A side table, not an index on `users`: `users` is rewritten with all its indexes on every
change (a deactivation, a bounce, a login), and these ~55 entries a user would come with
each (measured: a plain UPDATE of 20,000 users 2.1 -> 3.0 s with the GIN on `users`). The
side table is written when a user is inserted and when a name or an address changes
(triggers), nothing else; the seed fills it after its COPY.

Revision ID: 0011_list_name_trigrams
Revises: 0010_users_covering_orders
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_list_name_trigrams"
down_revision: str | None = "0010_users_covering_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every three-letter piece of the search text (duplicates are dropped by the GIN itself),
# behind the tag of the sort name's initial. Pieces, not pg_trgm's trigrams: a term's
# pieces (including "." or "@") are then exactly what any text containing it holds.
NAME_TRIGRAMS = """
CREATE FUNCTION name_initial_trigrams(sort_name text, search_text text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(
        SELECT CASE
                   WHEN sort_name <> ''
                        AND strpos('abcdefghijklmnopqrstuvwxyz', left(sort_name, 1)) > 0
                   THEN left(sort_name, 1) ELSE '~'
               END || substr(search_text, i, 3)
        FROM generate_series(1, length(search_text) - 2) AS i
    )
"""
TABLE = """
CREATE TABLE user_name_pieces (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    sort_name text NOT NULL,
    search_text text NOT NULL,
    CONSTRAINT pk_user_name_pieces PRIMARY KEY (tenant_id, user_id),
    CONSTRAINT fk_user_name_pieces_tenant_id_user_id_users FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
)
"""
INDEX = (
    "CREATE INDEX ix_user_name_pieces ON user_name_pieces"
    " USING gin (name_initial_trigrams(sort_name, search_text))"
)
# New users in one statement per inserting statement; a changed name or address per row
# (the trigger fires only for an UPDATE that sets one of those columns).
KEEP = (
    """
CREATE FUNCTION user_name_pieces_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_name_pieces (tenant_id, user_id, sort_name, search_text)
    SELECT tenant_id, id, sort_name, search_text FROM inserted_users;
    RETURN NULL;
END
$$
""",
    """
CREATE FUNCTION user_name_pieces_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_name_pieces SET sort_name = NEW.sort_name, search_text = NEW.search_text
     WHERE tenant_id = NEW.tenant_id AND user_id = NEW.id;
    RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER users_name_pieces_inserted AFTER INSERT ON users
    REFERENCING NEW TABLE AS inserted_users
    FOR EACH STATEMENT EXECUTE FUNCTION user_name_pieces_inserted()
""",
    """
CREATE TRIGGER users_name_pieces_changed AFTER UPDATE OF first_name, last_name, email_normalized
    ON users FOR EACH ROW
    WHEN (OLD.sort_name IS DISTINCT FROM NEW.sort_name
          OR OLD.search_text IS DISTINCT FROM NEW.search_text)
    EXECUTE FUNCTION user_name_pieces_changed()
""",
)


def upgrade() -> None:
    op.execute(NAME_TRIGRAMS)
    op.execute(TABLE)
    op.execute(
        "INSERT INTO user_name_pieces (tenant_id, user_id, sort_name, search_text)"
        " SELECT tenant_id, id, sort_name, search_text FROM users"
    )
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(INDEX)
    for statement in KEEP:
        op.execute(statement)
    # The expression's statistics (most common pieces) come with ANALYZE.
    op.execute("ANALYZE user_name_pieces")


def downgrade() -> None:
    op.execute("DROP TRIGGER users_name_pieces_changed ON users")
    op.execute("DROP TRIGGER users_name_pieces_inserted ON users")
    op.execute("DROP FUNCTION user_name_pieces_changed(), user_name_pieces_inserted()")
    op.execute("DROP TABLE user_name_pieces")
    op.execute("DROP FUNCTION name_initial_trigrams(text, text)")
