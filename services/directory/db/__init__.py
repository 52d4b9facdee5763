"""Everything the directory says to PostgreSQL: models, queries and migrations."""
