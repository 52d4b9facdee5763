"""`create-admin`: the operator's input checked, then the use case run in its own unit of
work (the events it causes go out through the outbox once the service runs)."""

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from services.directory.domain.tenants import TenantRecord
from services.directory.domain.users import UserRecord
from services.directory.usecases.create_admin import NewAdmin
from services.directory.usecases.create_admin import create_admin as run
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.db import Database
from shared.security.passwords import hash_password, password_problems
from shared.unit_of_work import unit_of_work

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


async def create_admin(
    database_url: str, request: AdminRequest
) -> tuple[TenantRecord, UserRecord, bool]:
    """Returns the tenant, the admin, and whether the admin is new (else updated)."""
    new = NewAdmin(
        tenant_slug=request.tenant_slug,
        tenant_name=request.tenant_name,
        email=request.email,
        password_hash=hash_password(request.password),
        first_name=request.first_name,
        last_name=request.last_name,
        locale=request.locale,
    )
    db = Database(database_url)
    try:
        async with unit_of_work(db, DirectoryUnitOfWork) as uow:
            created = await run(uow, new)
        return created.tenant, created.user, created.is_new
    finally:
        await db.dispose()
