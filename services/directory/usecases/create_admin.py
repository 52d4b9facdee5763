"""An administrator who can log in at once, in a tenant created if new (the operator's
`create-admin` command)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from services.directory.db import tenants as tenants_db
from services.directory.db import users as users_db
from services.directory.domain.roles import ADMIN
from services.directory.domain.tenants import TenantRecord
from services.directory.domain.users import UserChange, UserRecord, normalize_email
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.users import InvitationState, UserStatus


@dataclass(frozen=True)
class NewAdmin:
    tenant_slug: str
    tenant_name: str | None
    email: str
    password_hash: str
    first_name: str
    last_name: str
    locale: str


@dataclass(frozen=True)
class AdminCreated:
    tenant: TenantRecord
    user: UserRecord
    is_new: bool  # else an existing user became an active admin


async def create_admin(uow: DirectoryUnitOfWork, new: NewAdmin) -> AdminCreated:
    tenant = await tenants_db.get_tenant_by_slug(uow.session, new.tenant_slug)
    if tenant is None:
        name = new.tenant_name or new.tenant_slug
        tenant = tenants_db.add_tenant(uow.session, new.tenant_slug, name, new.locale)
        await uow.flush()
    email = normalize_email(new.email)
    user = await users_db.get_user_by_email(uow.session, tenant.id, email, for_update=True)
    now = datetime.now(UTC)
    is_new = user is None
    if user is None:
        user = users_db.add_user(
            uow.session,
            tenant_id=tenant.id,
            id=uuid.uuid4(),
            email=new.email.strip(),
            email_normalized=email,
            first_name=new.first_name,
            last_name=new.last_name,
            locale=new.locale,
            custom_fields={},
            invitation_state=InvitationState.NONE,
            created_at=now,
        )
    user.role, user.status = ADMIN, UserStatus.ACTIVE
    user.password_hash = new.password_hash
    user.activated_at = user.activated_at or now
    uow.user_changed(user, UserChange.CREATED if is_new else UserChange.ACTIVATED, at=now)
    return AdminCreated(tenant, user, is_new)
