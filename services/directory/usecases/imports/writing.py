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
from services.directory.domain.addresses import address_skeleton
from services.directory.domain.import_columns import Column
from services.directory.domain.import_rows import CleanRow, RowPlan
from services.directory.domain.jobs import ItemOutcome
from services.directory.domain.users import UserChange
from services.directory.usecases.common import request_invitation
from services.directory.usecases.imports.judging import Judged, Tenancy
from services.directory.usecases.invite_user import EMAIL_TAKEN
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.users import InvitationState, UserStatus
from shared.security.access_tokens import Principal

NOT_UPDATED = "This user already exists; updating existing users was not asked for."
# A new user's columns, as the batch writes them (one array each); the rest are the
# table's defaults, read back from the rows written.
NEW_USER_COLUMNS = (
    ("tenant_id", "uuid"),
    ("id", "uuid"),
    ("email", "text"),
    ("email_normalized", "text"),
    ("email_skeleton", "text"),
    ("first_name", "text"),
    ("last_name", "text"),
    ("phone", "text"),
    ("locale", "text"),
    ("role", "text"),
    ("status", "text"),
    ("custom_fields", "jsonb"),
    ("invitation_state", "text"),
    ("invitation_request_id", "uuid"),
    ("invitation_requested_at", "timestamptz"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)
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
        self._new: list[dict[str, Any]] = []  # written together in finish()
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
            user_id = self._create(row)
            self._link(user_id, row)
            return ItemOutcome.CREATED, None, user_id
        self._link(judged.user.id, row)
        self._update(judged.user, row, verdict.changes)
        return ItemOutcome.UPDATED, ", ".join(verdict.changes), judged.user.id

    def _create(self, row: CleanRow) -> uuid.UUID:
        """The new user's values (invited, as the invitation route makes them)."""
        values = row.values
        user_id = uuid.uuid4()
        role = values.get(Column.ROLE) or "learner"
        self._new.append(
            {
                "tenant_id": self._actor.tenant_id,
                "id": user_id,
                "email": row.email,
                "email_normalized": row.email.strip().lower(),
                "email_skeleton": address_skeleton(row.email),
                "first_name": values[Column.FIRST_NAME],
                "last_name": values[Column.LAST_NAME],
                "phone": values.get(Column.PHONE),
                "locale": values.get(Column.LOCALE) or self._tenant.default_locale,
                "role": role,
                "status": UserStatus.INVITED,
                "custom_fields": {self._field_ids[k]: v for k, v in row.custom_fields.items()},
                "invitation_state": InvitationState.PENDING if self._send else InvitationState.NONE,
                "invitation_request_id": uuid.uuid4() if self._send else None,
                "invitation_requested_at": self._now if self._send else None,
                "created_at": self._now,
                "updated_at": self._now,
            }
        )
        self._activities.append((user_id, ActivityKind.INVITED, {"role": role, "import": True}))
        return user_id

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
        in one statement (each new member's row written once, its groups filled in as it
        is inserted: see `defer_user_links`), activities, invitations; the new users'
        events built from their rows as written."""
        await self._uow.flush(conflict=EMAIL_TAKEN)
        session = self._uow.session
        await bulk_db.defer_user_links(session)
        await bulk_db.add_memberships(session, self._actor.tenant_id, self._links)
        columns = [(name, kind, [u[name] for u in self._new]) for name, kind in NEW_USER_COLUMNS]
        created = await bulk_db.insert_users(session, columns)
        self._uow.users_written(created, UserChange.CREATED)
        await bulk_db.add_activities(
            self._uow.session,
            self._actor.tenant_id,
            self._actor.user_id,
            self._now,
            self._activities,
        )
        if self._send:
            for user in created:
                request_invitation(self._uow, self._tenant, user, self._actor, is_resend=False)
