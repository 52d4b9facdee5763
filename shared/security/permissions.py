"""What a role can allow. Roles themselves are data (the directory's roles table)."""

from enum import StrEnum


class Permission(StrEnum):
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    USERS_INVITE = "users:invite"
    USERS_DEACTIVATE = "users:deactivate"
    ROLES_ASSIGN = "roles:assign"
    GROUPS_MANAGE = "groups:manage"
    CUSTOM_FIELDS_MANAGE = "custom-fields:manage"
    EXPORTS_CREATE = "exports:create"
    HOOKS_MANAGE = "hooks:manage"
    SUPPRESSIONS_MANAGE = "suppressions:manage"  # see and lift the suppression list
    USERS_BULK = "users:bulk"  # import files, act on many users at once


ALL_PERMISSIONS = frozenset(Permission)
