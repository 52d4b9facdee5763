"""The directory: tenants, users, credentials, sessions, roles, groups and custom fields."""
