"""A bulk action as asked: which users (filters or ids), what to do, with what; checked
once, when asked, so that the job only meets refusals about single users."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import custom_fields as fields_db
from services.directory.db import tenants as tenants_db
from services.directory.db.models import User
from services.directory.db.user_filters import conditions_for
from services.directory.domain.bulk_rules import BulkAction, BulkRules
from services.directory.domain.custom_fields import definition_of
from services.directory.usecases.common import assignable_role, load_field, load_group
from services.directory.usecases.list_users import field_values_by_id
from shared.contracts.custom_fields import InvalidFieldValue, clean_value
from shared.contracts.user_filters import UserFilters
from shared.errors import Forbidden, Invalid
from shared.security.access_tokens import Principal
from shared.security.permissions import Permission

NEEDS = {
    BulkAction.DEACTIVATE: Permission.USERS_DEACTIVATE,
    BulkAction.REACTIVATE: Permission.USERS_DEACTIVATE,
    BulkAction.RESEND_INVITATION: Permission.USERS_INVITE,
    BulkAction.ADD_TO_GROUP: Permission.GROUPS_MANAGE,
    BulkAction.REMOVE_FROM_GROUP: Permission.GROUPS_MANAGE,
    BulkAction.SET_CUSTOM_FIELD: Permission.USERS_WRITE,
    BulkAction.CHANGE_ROLE: Permission.USERS_WRITE,
}


@dataclass(frozen=True)
class BulkRequest:
    action: BulkAction
    filters: UserFilters | None = None
    user_ids: list[uuid.UUID] | None = None
    params: dict[str, Any] = field(default_factory=dict)


async def checked_params(
    session: AsyncSession, actor: Principal, action: BulkAction, params: dict[str, Any]
) -> dict[str, Any]:
    """The action's parameters as the job keeps them (ids as text), or what is wrong."""
    if not actor.can(NEEDS[action]):
        raise Forbidden(f"This needs the {NEEDS[action].value} permission.")
    if action is BulkAction.DEACTIVATE:
        reason = params.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
            raise Invalid("params.reason: text of at most 500 characters.")
        return {"reason": reason}
    if action in (BulkAction.ADD_TO_GROUP, BulkAction.REMOVE_FROM_GROUP):
        group = await load_group(session, actor, _uuid(params, "group_id"))
        return {"group_id": str(group.id)}
    if action is BulkAction.SET_CUSTOM_FIELD:
        return await _field_param(session, actor, params)
    if action is BulkAction.CHANGE_ROLE:
        role = await assignable_role(session, actor, str(params.get("role", "")))
        return {"role": role.key, "role_is_admin": role.is_admin}
    return {}


async def _field_param(
    session: AsyncSession, actor: Principal, params: dict[str, Any]
) -> dict[str, Any]:
    key = params.get("key")
    fields = {f.key: f for f in await fields_db.list_fields(session, actor.tenant_id)}
    if key not in fields:
        raise Invalid("params.key: there is no custom field with this key.")
    found = await load_field(session, actor, fields[key].id)
    try:
        value = clean_value(definition_of(found), params.get("value"))
    except InvalidFieldValue as error:
        raise Invalid(f"params.value: {error}") from None
    return {"field_id": str(found.id), "key": found.key, "value": value}


def _uuid(params: dict[str, Any], name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(params.get(name)))
    except ValueError:
        raise Invalid(f"params.{name}: expected an id.") from None


async def target_conditions(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    filters: UserFilters | None,
    user_ids: list[uuid.UUID] | None,
) -> list[ColumnElement[bool]]:
    """The users asked for: the list's own filters, or named users of the tenant."""
    if user_ids is not None:
        return [User.tenant_id == tenant_id, User.id.in_(user_ids)]
    chosen = filters or UserFilters()
    fields = await fields_db.list_fields(session, tenant_id)
    values = field_values_by_id(chosen, fields)
    return conditions_for(tenant_id, chosen, values, datetime.now(UTC))


def rules_for(
    action: BulkAction, actor_id: uuid.UUID, params: dict[str, Any], resend_interval: timedelta
) -> BulkRules:
    return BulkRules(
        action=action,
        actor_id=actor_id,
        now=datetime.now(UTC),
        resend_interval=resend_interval,
        new_role_is_admin=bool(params.get("role_is_admin", False)),
    )


async def role_is_admin(session: AsyncSession, key: str) -> bool:
    role = await tenants_db.get_role(session, key)
    return bool(role and role.is_admin)
