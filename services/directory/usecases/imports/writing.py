"""Writing one batch of judged rows: new users (status invited, as the invitation route
makes them), changes to existing ones, groups created when the admin asked for it; the
users' events are collected by the unit of work, their activities recorded as the
single-user routes record them."""

import uuid
from datetime import UTC, datetime
from typing import Any

from services.directory.db import bulk as bulk_db
from services.directory.db import groups as groups_db
from services.directory.db.models import Group, Tenant, User
from services.directory.domain.activities import ActivityKind
from services.directory.domain.import_columns import Column
from services.directory.domain.import_rows import CleanRow, RowPlan
from services.directory.domain.jobs import ItemOutcome
from services.directory.domain.users import UserChange
from services.directory.usecases.common import request_invitation
from services.directory.usecases.imports.judging import Judged, Tenancy
from services.directory.usecases.invite_user import EMAIL_TAKEN
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.users import EmailState, InvitationState, UserStatus
from shared.security.access_tokens import Principal

NOT_UPDATED = "This user already exists; updating existing users was not asked for."
# What the database would give a new row, set on the objects written without the ORM (their
# snapshots are built from them).
NEW_USER_DEFAULTS: dict[str, Any] = {
    "invitation_resend_count": 0,
    "invitation_send_count": 0,
    "email_state": EmailState.OK,
    "version": 1,
}
Outcome = tuple[ItemOutcome, str | None, uuid.UUID | None]
Activity = tuple[uuid.UUID, str, dict[str, Any]]


class ImportWriter:
    def __init__(
        self,
        uow: DirectoryUnitOfWork,
        actor: Principal,
        tenant: Tenant,
        tenancy_now: Tenancy,
        *,
        send_invitations: bool,
    ) -> None:
        self._uow = uow
        self._actor = actor
        self._tenant = tenant
        self._tenancy = tenancy_now
        self._groups: dict[str, Group] = dict(tenancy_now.groups)
        self._send = send_invitations
        self._links: list[tuple[uuid.UUID, uuid.UUID]] = []  # (user, group)
        self._activities: list[Activity] = []
        self._invite: list[User] = []
        self._new: list[User] = []  # written together in finish()
        self._now = datetime.now(UTC)
        self._field_ids = {f.key: str(f.id) for f in tenancy_now.fields}

    async def write(self, judged: Judged, update_existing: bool) -> Outcome:
        verdict, row = judged.verdict, judged.verdict.row
        if verdict.plan is RowPlan.ERROR or row is None:
            return ItemOutcome.REFUSED, verdict.message, None
        if verdict.plan is RowPlan.UNCHANGED:
            return ItemOutcome.UNCHANGED, None, judged.user.id if judged.user else None
        assert (verdict.plan is RowPlan.CREATE) == (judged.user is None)
        if judged.user is not None and not update_existing:
            return ItemOutcome.SKIPPED, NOT_UPDATED, judged.user.id
        if judged.user is None:
            user = self._create(row)
            self._link(user.id, row)
            return ItemOutcome.CREATED, None, user.id
        self._link(judged.user.id, row)
        self._update(judged.user, row, verdict.changes)
        return ItemOutcome.UPDATED, ", ".join(verdict.changes), judged.user.id

    def _create(self, row: CleanRow) -> User:
        values = row.values
        user = User(
            tenant_id=self._actor.tenant_id,
            id=uuid.uuid4(),
            email=row.email,
            email_normalized=row.email.strip().lower(),
            first_name=values[Column.FIRST_NAME],
            last_name=values[Column.LAST_NAME],
            phone=values.get(Column.PHONE),
            locale=values.get(Column.LOCALE) or self._tenant.default_locale,
            role=values.get(Column.ROLE) or "learner",
            status=UserStatus.INVITED,
            custom_fields={self._field_ids[k]: v for k, v in row.custom_fields.items()},
            invitation_state=InvitationState.PENDING if self._send else InvitationState.NONE,
            invitation_request_id=uuid.uuid4() if self._send else None,
            invitation_requested_at=self._now if self._send else None,
            created_at=self._now,
            **NEW_USER_DEFAULTS,
        )
        self._new.append(user)
        self._uow.user_changed(user, UserChange.CREATED, at=self._now)
        self._activities.append(
            (user.id, ActivityKind.INVITED, {"role": user.role, "import": True})
        )
        if self._send:
            self._invite.append(user)
        return user

    def _update(self, user: User, row: CleanRow, changes: tuple[str, ...]) -> None:
        for column, value in row.values.items():
            if column == Column.ROLE and value != user.role:
                details = {"from": user.role, "to": value}
                self._activities.append((user.id, ActivityKind.ROLE_CHANGED, details))
            setattr(user, column, value)
        if row.custom_fields:
            merged = dict(user.custom_fields or {})
            merged.update({self._field_ids[k]: v for k, v in row.custom_fields.items()})
            user.custom_fields = merged
        self._uow.user_changed(user, at=self._now)
        self._activities.append((user.id, ActivityKind.UPDATED, {"changed": list(changes)}))

    def _link(self, user_id: uuid.UUID, row: CleanRow) -> None:
        for name in row.groups:
            group = self._groups.get(name.lower())
            if group is None:  # asked for: create_groups (the verdict said so)
                group = groups_db.add_group(self._uow.session, self._actor.tenant_id, name)
                self._groups[name.lower()] = group
            self._links.append((user_id, group.id))

    async def finish(self) -> None:
        """Write the batch: groups and changed users, then memberships, then the new users
        (each new member's row written once, its groups filled in as it is inserted: see
        `defer_user_links`), activities, invitations."""
        await self._uow.flush(conflict=EMAIL_TAKEN)
        session = self._uow.session
        await bulk_db.defer_user_links(session)
        await bulk_db.add_memberships(session, self._actor.tenant_id, self._links)
        await bulk_db.insert_users(session, self._new)
        await bulk_db.add_activities(
            self._uow.session,
            self._actor.tenant_id,
            self._actor.user_id,
            self._now,
            self._activities,
        )
        for user in self._invite:
            request_invitation(self._uow, self._tenant, user, self._actor, is_resend=False)
