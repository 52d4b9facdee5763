"""Small steps several use cases share."""

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import groups as groups_db
from services.directory.db import tenants as tenants_db
from services.directory.db import users as users_db
from services.directory.db.models import Tenant, User
from services.directory.domain.roles import RoleInfo
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.security.access_tokens import Principal
from shared.security.permissions import Permission


async def load_user(
    session: AsyncSession, actor: Principal, user_id: uuid.UUID, *, for_update: bool = True
) -> User:
    user = await users_db.get_user(session, actor.tenant_id, user_id, for_update=for_update)
    if user is None:
        raise NotFound("There is no such user.")
    return user


async def load_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await tenants_db.get_tenant(session, tenant_id)
    if tenant is None:
        raise NotFound("There is no such tenant.")
    return tenant


async def assignable_role(session: AsyncSession, actor: Principal, key: str) -> RoleInfo:
    role = await tenants_db.get_role(session, key)
    if role is None:
        raise Invalid(f"role: there is no role {key!r}.")
    if role.is_admin and not actor.can(Permission.ROLES_ASSIGN):
        raise Forbidden("You may not grant an administrative role.")
    return role


async def check_groups(session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
    missing = set(ids) - await groups_db.existing_group_ids(session, tenant_id, set(ids))
    if missing:
        raise Invalid("group_ids: no such group: " + ", ".join(sorted(str(m) for m in missing)))


async def flush_unique(session: AsyncSession, message: str) -> None:
    """Flush, turning a unique-constraint race into a 409 instead of a 500."""
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict(message) from error
