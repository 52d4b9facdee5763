"""Tenants (one per platform) and the roles every tenant shares."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db.models import Role, Tenant
from services.directory.domain.roles import RoleInfo


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def get_tenant_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    query = select(Tenant).where(Tenant.slug == slug)
    return (await session.execute(query)).scalar_one_or_none()


def add_tenant(session: AsyncSession, slug: str, name: str, default_locale: str) -> Tenant:
    tenant = Tenant(id=uuid.uuid4(), slug=slug, name=name, default_locale=default_locale)
    session.add(tenant)
    return tenant


async def get_role(session: AsyncSession, key: str) -> RoleInfo | None:
    role = await session.get(Role, key)
    return None if role is None else to_role_info(role)


def to_role_info(role: Role) -> RoleInfo:
    return RoleInfo(role.key, role.is_admin, frozenset(role.permissions))
