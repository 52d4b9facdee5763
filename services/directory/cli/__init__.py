"""Operator commands: create-admin, seed, keygen."""
