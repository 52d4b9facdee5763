"""Editing a user's profile: names, phone, locale, e-mail, role, groups, custom fields."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import tenants as tenants_db
from services.directory.db import users as users_db
from services.directory.db.activities import record_activity
from services.directory.db.models import User
from services.directory.domain import email_state
from services.directory.domain.activities import ActivityKind
from services.directory.domain.addresses import address_problem
from services.directory.domain.users import AdminChange, ensure_can_change_role, normalize_email
from services.directory.usecases.common import assignable_role, check_groups, load_user
from services.directory.usecases.custom_values import merge_custom_values
from services.directory.usecases.get_profile import Profile, read_profile
from services.directory.usecases.invite_user import EMAIL_TAKEN, hold_address, refuse_look_alike
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.users import UserStatus
from shared.errors import Conflict, Invalid, StaleVersion
from shared.security.access_tokens import Principal

PLAIN_FIELDS = ("first_name", "last_name", "phone", "locale")


async def update_user(
    uow: DirectoryUnitOfWork,
    actor: Principal,
    user_id: uuid.UUID,
    expected_version: int,
    changes: dict[str, Any],
    *,
    smtputf8: bool = False,
) -> Profile:
    """Apply `changes` (only the fields the caller sent) if the user is still at
    `expected_version`; `user.updated` goes out when anything changed."""
    if "email" in changes and (problem := address_problem(changes["email"], smtputf8=smtputf8)):
        raise Invalid(f"email: {problem}")
    if "email" in changes:  # before any row lock: an import's batch takes this one first
        await hold_address(uow.session, actor.tenant_id, changes["email"])
    if "role" in changes:
        await users_db.lock_tenant(uow.session, actor.tenant_id)
    user = await load_user(uow.session, actor, user_id)
    if user.version != expected_version:
        raise StaleVersion(
            f"The user was changed meanwhile (version {user.version}, you sent "
            f"{expected_version}); reload and try again."
        )
    # One edit is one change: the row is written (and its version bumped) once, at the end,
    # not whenever a query in between would autoflush the fields set so far.
    with uow.session.no_autoflush:
        changed = [n for n in PLAIN_FIELDS if n in changes and _set(user, n, changes[n])]
        if "email" in changes and await _change_email(uow.session, user, changes["email"]):
            changed.append("email")
        if "role" in changes and await _change_role(uow.session, actor, user, changes["role"]):
            changed.append("role")
        if "group_ids" in changes and await _change_groups(uow.session, user, changes["group_ids"]):
            changed.append("groups")
        if "custom_fields" in changes and await _change_custom_fields(uow.session, user, changes):
            changed.append("custom_fields")
    if changed:
        uow.user_changed(user)
        await uow.flush(conflict=EMAIL_TAKEN)
        record_activity(
            uow.session,
            user.tenant_id,
            user.id,
            ActivityKind.UPDATED,
            actor_id=actor.user_id,
            details={"changed": changed},
        )
    return await read_profile(uow, user)


def _set(user: User, name: str, value: Any) -> bool:
    if getattr(user, name) == value:
        return False
    setattr(user, name, value)
    return True


async def _change_email(session: AsyncSession, user: User, email: str) -> bool:
    normalized = normalize_email(email)
    if normalized == user.email_normalized:
        return _set(user, "email", email.strip())
    if await users_db.email_taken(session, user.tenant_id, normalized):
        raise Conflict(EMAIL_TAKEN)
    await refuse_look_alike(session, user.tenant_id, email, user.id)
    user.email, user.email_normalized = email.strip(), normalized
    fresh = email_state.after_address_change()
    user.email_state, user.email_bounce_kind = fresh.state, fresh.bounce_kind
    user.email_state_reason = fresh.reason
    user.email_state_changed_at, user.email_delivered_at = fresh.changed_at, fresh.delivered_at
    return True


async def _change_role(session: AsyncSession, actor: Principal, user: User, key: str) -> bool:
    if key == user.role:
        return False
    new_role = await assignable_role(session, actor, key)
    current = await tenants_db.get_role(session, user.role)
    is_active_admin = bool(current and current.is_admin) and user.status == UserStatus.ACTIVE
    others = await users_db.count_other_active_admins(session, user.tenant_id, user.id)
    change = AdminChange(actor.user_id, user.id, is_active_admin, others)
    ensure_can_change_role(change, new_role_is_admin=new_role.is_admin)
    record_activity(
        session,
        user.tenant_id,
        user.id,
        "user.role_changed",
        actor_id=actor.user_id,
        details={"from": user.role, "to": key},
    )
    user.role = key
    return True


async def _change_groups(session: AsyncSession, user: User, group_ids: list[uuid.UUID]) -> bool:
    current = {
        g.id
        for g in (await users_db.groups_of(session, user.tenant_id, [user.id])).get(user.id, [])
    }
    if current == set(group_ids):
        return False
    await check_groups(session, user.tenant_id, group_ids)
    await users_db.set_user_groups(session, user.tenant_id, user.id, group_ids)
    return True


async def _change_custom_fields(session: AsyncSession, user: User, changes: dict[str, Any]) -> bool:
    values = await merge_custom_values(
        session, user.tenant_id, changes["custom_fields"], user.custom_fields
    )
    return _set(user, "custom_fields", values)
