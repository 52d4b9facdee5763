"""The search text's three-letter pieces, each tagged with the initial of the user's sort
name, in one GIN (`ix_users_name_trigrams`), so that the user list can find a text term's
matches outside one initial's stretch of the name order without reading a heap page for
every match inside it. A search for "tremblay" in name order (14,761 matches at a million
users, all of them under "t") read 13,605 heap pages to sort them; now it walks the "t"
stretch of the name index from its start (index-only) and looks up the few matches under
the other initials by their tagged pieces ("amb", "a" + "mbl", ... : empty lists). See
`db/user_search.py` (`seek_page`).

The tags are 26 letters a-z and "~" for any other initial (digits, accented letters), so
that the list can name every tag but one in a query.

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
INDEX = (
    "CREATE INDEX ix_users_name_trigrams ON users"
    " USING gin (name_initial_trigrams(sort_name, search_text))"
)


def upgrade() -> None:
    op.execute(NAME_TRIGRAMS)
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(INDEX)
    # The expression's statistics (most common pieces) come with ANALYZE: without them
    # the planner guesses 0.5 % of the table for each tagged piece.
    op.execute("ANALYZE users")


def downgrade() -> None:
    op.execute("DROP INDEX ix_users_name_trigrams")
    op.execute("DROP FUNCTION name_initial_trigrams(text, text)")
