"""Roles as data: what a role allows comes from the roles table, not from code."""

from dataclasses import dataclass

from shared.security.permissions import ALL_PERMISSIONS, Permission

LEARNER = "learner"
ADMIN = "admin"


@dataclass(frozen=True)
class RoleInfo:
    key: str
    is_admin: bool
    permissions: frozenset[str]

    def allows(self, permission: Permission) -> bool:
        return permission.value in self.permissions


# The roles the first migration creates; more can be added as rows.
BUILT_IN_ROLES = (
    RoleInfo(LEARNER, is_admin=False, permissions=frozenset()),
    RoleInfo(ADMIN, is_admin=True, permissions=frozenset(p.value for p in ALL_PERMISSIONS)),
)
