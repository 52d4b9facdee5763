"""The rules of an export: which columns, in which order, and how a user's values become cells."""
