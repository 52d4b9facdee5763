"""Password hashing, random tokens and access-token verification."""
