"""`create-admin`: a tenant (created if new) and an administrator who can log in."""

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email

from services.directory.db import tenants as tenants_db
from services.directory.db import users as users_db
from services.directory.db.models import Tenant, User
from services.directory.domain.roles import ADMIN
from services.directory.domain.users import normalize_email
from services.directory.snapshots import publish_user_event
from shared.contracts.users import USER_ACTIVATED, USER_CREATED, InvitationState, UserStatus
from shared.db import Database
from shared.security.passwords import hash_password, password_problems

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


@dataclass(frozen=True)
class AdminRequest:
    tenant_slug: str
    tenant_name: str | None
    email: str
    password: str
    first_name: str
    last_name: str
    locale: str


def check(request: AdminRequest) -> list[str]:
    problems = password_problems(request.password, email=request.email)
    if not SLUG.match(request.tenant_slug):
        problems.append("The tenant slug takes lower-case letters, digits and dashes (2-63).")
    try:
        validate_email(request.email, check_deliverability=False)
    except EmailNotValidError as error:
        problems.append(f"The e-mail address is not valid: {error}")
    return problems


async def create_admin(database_url: str, request: AdminRequest) -> tuple[Tenant, User, bool]:
    """Returns the tenant, the admin, and whether the admin is new (else updated)."""
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            tenant = await tenants_db.get_tenant_by_slug(session, request.tenant_slug)
            if tenant is None:
                tenant = Tenant(
                    id=uuid.uuid4(),
                    slug=request.tenant_slug,
                    name=request.tenant_name or request.tenant_slug,
                    default_locale=request.locale,
                )
                session.add(tenant)
                await session.flush()
            email = normalize_email(request.email)
            user = await users_db.get_user_by_email(session, tenant.id, email, for_update=True)
            now = datetime.now(UTC)
            is_new = user is None
            if user is None:
                user = User(
                    tenant_id=tenant.id,
                    id=uuid.uuid4(),
                    email=request.email.strip(),
                    email_normalized=email,
                    first_name=request.first_name,
                    last_name=request.last_name,
                    locale=request.locale,
                    custom_fields={},
                    invitation_state=InvitationState.NONE.value,
                    created_at=now,
                )
                session.add(user)
            user.role, user.status = ADMIN, UserStatus.ACTIVE.value
            user.password_hash = hash_password(request.password)
            user.activated_at = user.activated_at or now
            user.updated_at = now
            await publish_user_event(session, USER_CREATED if is_new else USER_ACTIVATED, user)
        return tenant, user, is_new
    finally:
        await db.dispose()
