"""Judging rows of an import against the tenant as it is now: the same for the preview
and for each batch the apply runs."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import custom_fields as fields_db
from services.directory.db import imports as imports_db
from services.directory.db import users as users_db
from services.directory.db.models import CustomField, Group, User
from services.directory.domain.addresses import (
    LOOKS_LIKE_ANOTHER,
    address_skeleton,
    address_skeletons,
    looks_like_another,
)
from services.directory.domain.custom_fields import definition_of, values_by_key
from services.directory.domain.import_rows import (
    CleanRow,
    ExistingUser,
    ImportContext,
    ImportRow,
    RowPlan,
    Verdict,
    clean_row,
    duplicate_verdict,
    invalid_verdict,
    normalize_email,
    plan_row,
)
from shared.contracts.users import UserStatus
from shared.security.access_tokens import Principal
from shared.security.permissions import Permission


@dataclass(frozen=True)
class Tenancy:
    """What rows are judged against: the context, and the records behind it."""

    context: ImportContext
    fields: Sequence[CustomField]
    groups: Mapping[str, Group]  # by lower-case name


@dataclass(frozen=True)
class Judged:
    number: int
    cells: Mapping[str, Any]
    verdict: Verdict
    user: User | None  # the user with that address, if any

    @property
    def email(self) -> str:
        row = self.verdict.row
        return row.email if row else str(self.cells.get("email") or "")


async def tenancy(
    session: AsyncSession, actor: Principal, create_groups: bool, *, smtputf8: bool
) -> Tenancy:
    """The tenant as rows are judged against it now; `smtputf8`: the setting
    EMAIL_SMTPUTF8, as the invitation and edit routes apply it."""
    fields = await fields_db.list_fields(session, actor.tenant_id)
    groups = await imports_db.groups_by_name(session, actor.tenant_id)
    context = ImportContext(
        actor_id=actor.user_id,
        groups={lower: g.name for lower, g in groups.items()},
        create_groups=create_groups,
        fields={f.key: definition_of(f) for f in fields},
        roles=await imports_db.role_kinds(session),
        may_grant_admin=actor.can(Permission.ROLES_ASSIGN),
        smtputf8=smtputf8,
    )
    return Tenancy(context, fields, groups)


async def judge(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    tenancy_now: Tenancy,
    rows: Sequence[ImportRow],
    seen: dict[str, int] | None,
    *,
    for_update: bool = False,
) -> list[Judged]:
    """Each row's verdict; `seen` (address -> first row) finds duplicates across batches."""
    ctx = tenancy_now.context
    cleaned: list[tuple[ImportRow, CleanRow | None, list[str]]] = []
    for row in rows:
        clean, errors = clean_row(row, ctx)
        cleaned.append((row, clean, errors))
    emails = {normalize_email(c.email) for _, c, _ in cleaned if c is not None}
    existing = await _existing(session, tenant_id, tenancy_now, emails, for_update)
    look_alikes = await _addresses_by_skeleton(session, tenant_id, emails)
    judged: list[Judged] = []
    for row, clean, errors in cleaned:
        if clean is None:
            judged.append(Judged(row.number, row.cells, invalid_verdict(errors), None))
            continue
        email = normalize_email(clean.email)
        first = seen.setdefault(email, row.number) if seen is not None else row.number
        found = existing.get(email)
        if first != row.number:
            verdict = duplicate_verdict(clean, first)
        else:
            verdict = plan_row(clean, found[1] if found else None, ctx)
        if verdict.plan is RowPlan.CREATE:
            others = [a for s in address_skeletons(email) for a in look_alikes.get(s, [])]
            if looks_like_another(email, others):
                verdict = invalid_verdict([LOOKS_LIKE_ANOTHER])
            else:  # a later row of the file that looks like this one is refused
                look_alikes.setdefault(address_skeleton(email), []).append(email)
        judged.append(Judged(row.number, row.cells, verdict, found[0] if found else None))
    return judged


async def _addresses_by_skeleton(
    session: AsyncSession, tenant_id: uuid.UUID, emails: set[str]
) -> dict[str, list[str]]:
    skeletons = {skeleton for email in emails for skeleton in address_skeletons(email)}
    found: dict[str, list[str]] = {}
    for address in await users_db.addresses_looking_like(session, tenant_id, skeletons):
        found.setdefault(address_skeleton(address), []).append(address)
    return found


async def _existing(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    tenancy_now: Tenancy,
    emails: set[str],
    for_update: bool,
) -> dict[str, tuple[User, ExistingUser]]:
    if not emails:
        return {}
    found = await imports_db.users_by_email(session, tenant_id, emails, for_update=for_update)
    groups = await imports_db.group_names_of(session, tenant_id, [u.id for u, _ in found])
    return {
        user.email_normalized: (user, _existing_user(user, is_admin, groups, tenancy_now))
        for user, is_admin in found
    }


def _existing_user(
    user: User, is_admin: bool, groups: Mapping[uuid.UUID, set[str]], tenancy_now: Tenancy
) -> ExistingUser:
    return ExistingUser(
        id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        phone=user.phone,
        locale=user.locale,
        role=user.role,
        custom_fields=values_by_key(user.custom_fields or {}, tenancy_now.fields),
        groups=frozenset(groups.get(user.id, set())),
        is_active_admin=is_admin and user.status is UserStatus.ACTIVE,
    )
