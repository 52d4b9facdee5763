"""Small steps several use cases share: finding what they act on (or saying it is not
there), checking a role or groups given by the caller, requesting an invitation or an
e-mail about the user's account."""

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import custom_fields as fields_db
from services.directory.db import groups as groups_db
from services.directory.db import tenants as tenants_db
from services.directory.db import users as users_db
from services.directory.db.models import CustomField, Group, Tenant, User
from services.directory.domain.custom_fields import check_definition
from services.directory.domain.roles import RoleInfo
from services.directory.usecases.unit_of_work import SOURCE, DirectoryUnitOfWork
from shared.contracts import new_event, serialized_event
from shared.contracts.accounts import AccountMailRequest
from shared.contracts.custom_fields import CustomFieldDefined, FieldType, InvalidFieldValue
from shared.contracts.invitations import INVITATION_REQUESTED
from shared.errors import Forbidden, Invalid, NotFound
from shared.security.access_tokens import Principal
from shared.security.permissions import Permission
from shared.unit_of_work import UnitOfWork

MailRequest = TypeVar("MailRequest", bound=AccountMailRequest)


async def load_user(
    session: AsyncSession, actor: Principal, user_id: uuid.UUID, *, for_update: bool = True
) -> User:
    """A user of the caller's tenant (locked for the change to come, unless only read)."""
    user = await users_db.get_user(session, actor.tenant_id, user_id, for_update=for_update)
    if user is None:
        raise NotFound("There is no such user.")
    return user


async def user_reported(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    """The user another service reports about, locked; an event naming a user the tenant
    does not have can never be applied (the message is parked with this reason)."""
    user = await users_db.get_user(session, tenant_id, user_id, for_update=True)
    if user is None:
        raise NotFound(f"no user {user_id} in tenant {tenant_id}")
    return user


async def load_group(
    session: AsyncSession, actor: Principal, group_id: uuid.UUID, *, lock: groups_db.Lock = None
) -> Group:
    group = await groups_db.get_group(session, actor.tenant_id, group_id, lock=lock)
    if group is None:
        raise NotFound("There is no such group.")
    return group


async def load_field(
    session: AsyncSession, actor: Principal, field_id: uuid.UUID, *, for_update: bool = False
) -> CustomField:
    field = await fields_db.get_field(session, actor.tenant_id, field_id, for_update=for_update)
    if field is None:
        raise NotFound("There is no such custom field.")
    return field


def announce_field(uow: UnitOfWork, event_type: str, definition: CustomFieldDefined) -> None:
    """A `custom_field.*` event with the definition (other services keep a copy of it)."""
    uow.emit(
        new_event(
            event_type,
            source=SOURCE,
            tenant_id=definition.tenant_id,
            subject=str(definition.id),
            version=definition.version,
            data=definition,
        )
    )


def check_choices(field_type: FieldType, choices: list[str]) -> None:
    try:
        check_definition(field_type, tuple(choices))
    except InvalidFieldValue as error:
        raise Invalid(f"choices: {error}") from None


async def groups_changed(
    uow: DirectoryUnitOfWork, tenant_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> None:
    """The users' groups changed (a group renamed, deleted, joined or left): their
    snapshots carry group names, so each of them is updated."""
    users = await users_db.users_by_ids(uow.session, tenant_id, user_ids, for_update=True)
    now = datetime.now(UTC)
    for user in users:
        uow.user_changed(user, at=now)


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


def request_invitation(
    uow: DirectoryUnitOfWork,
    tenant: Tenant,
    user: User | Row[Any] | SimpleNamespace,
    actor: Principal,
    *,
    is_resend: bool,
) -> None:
    """Ask the invitations service to mail the user their link (`invitation.requested`):
    the contract's data built plain (an import asks for thousands; the JSON is the
    validated `InvitationRequested`'s, tests/directory/test_serialized_events.py)."""
    assert user.invitation_request_id is not None
    request = {
        "request_id": user.invitation_request_id,
        "user_id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "locale": user.locale,
        "tenant_slug": tenant.slug,
        "tenant_name": tenant.name,
        "requested_by": actor.user_id,
        "requested_at": datetime.now(UTC),
        "is_resend": is_resend,
    }
    uow.emit(
        serialized_event(
            INVITATION_REQUESTED,
            source=SOURCE,
            tenant_id=tenant.id,
            subject=str(user.id),
            data=request,
        )
    )


def request_account_mail(
    uow: DirectoryUnitOfWork,
    event_type: str,
    contract: type[MailRequest],
    tenant: Tenant,
    user: User,
    now: datetime,
    **fields: Any,
) -> MailRequest:
    """Ask the invitations service to mail `user` about their account (`event_type`): the
    recipient every such request names, and the `fields` of its own."""
    request = contract(
        request_id=uuid.uuid4(),
        user_id=user.id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        locale=user.locale,
        tenant_slug=tenant.slug,
        tenant_name=tenant.name,
        requested_at=now,
        **fields,
    )
    uow.emit(
        new_event(
            event_type, source=SOURCE, tenant_id=tenant.id, subject=str(user.id), data=request
        )
    )
    return request
