"""Running a bulk job: its users fixed when it starts, then acted on a batch at a time with
the single-user routes' rules, changes, activities and events."""

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from services.directory.db import bulk as bulk_db
from services.directory.db import jobs as jobs_db
from services.directory.db import users as users_db
from services.directory.db.job_tables import Job
from services.directory.db.models import User
from services.directory.domain import invitation_state
from services.directory.domain.activities import ActivityKind
from services.directory.domain.bulk_rules import (
    TOUCHES_ADMINS,
    BulkAction,
    BulkRules,
    Target,
    is_suppressed,
    refusal,
    takes_admin_standing,
)
from services.directory.domain.jobs import ItemOutcome
from services.directory.domain.users import UserChange, status_after_reactivation
from services.directory.usecases.bulk.request import rules_for, target_conditions
from services.directory.usecases.common import load_tenant, request_invitation
from services.directory.usecases.jobs.principal import job_actor
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.user_filters import UserFilters
from shared.contracts.users import UserStatus


async def start_bulk_job(uow: DirectoryUnitOfWork, job: Job) -> None:
    """Fix the users the job acts on: those the filters match now (or the named ones)."""
    raw_filters, raw_ids = job.params.get("filters"), job.params.get("user_ids")
    filters = UserFilters.model_validate(raw_filters) if raw_filters is not None else None
    ids = [uuid.UUID(u) for u in raw_ids] if raw_ids is not None else None
    where = await target_conditions(uow.session, job.tenant_id, filters, ids)
    job.total = await jobs_db.snapshot_targets(uow.session, job, where)


async def run_bulk_batch(uow: DirectoryUnitOfWork, job: Job, limit: int) -> Counter[str]:
    ids = await jobs_db.next_targets(uow.session, job, limit)
    if not ids:
        return Counter()
    action = BulkAction(job.action)
    interval = timedelta(seconds=job.params.get("resend_interval_seconds", 60))
    rules = rules_for(action, job.created_by, job.params, interval)
    if action in TOUCHES_ADMINS:
        await users_db.lock_tenant(uow.session, job.tenant_id)  # the last-admin rule
    found = await bulk_db.users_with_roles(uow.session, job.tenant_id, ids)
    batch = _Batch(uow, job, rules)
    if action in TOUCHES_ADMINS:
        batch.active_admins = await bulk_db.count_active_admins(uow.session, job.tenant_id)
    outcomes: dict[uuid.UUID, tuple[ItemOutcome, str | None]] = {
        user_id: (ItemOutcome.FAILED, "This user no longer exists.") for user_id in ids
    }
    for user, is_admin in found:
        outcomes[user.id] = batch.judge(user, is_admin)
    outcomes.update(await batch.act())
    rows = [{"user_id": u, "outcome": o, "reason": r} for u, (o, r) in outcomes.items()]
    await jobs_db.record_outcomes(uow.session, job, rows)
    return Counter(o.value for o, _ in outcomes.values())


# What each action changes on a user row (written in one statement per batch).
WRITTEN = {
    BulkAction.DEACTIVATE: ("status", "deactivated_at", "deactivated_by", "deactivation_reason"),
    BulkAction.REACTIVATE: ("status",),
    BulkAction.RESEND_INVITATION: (
        "invitation_request_id",
        "invitation_state",
        "invitation_requested_at",
        "invitation_resend_count",
    ),
    BulkAction.SET_CUSTOM_FIELD: ("custom_fields",),
    BulkAction.CHANGE_ROLE: ("role",),
}


class _Batch:
    def __init__(self, uow: DirectoryUnitOfWork, job: Job, rules: BulkRules) -> None:
        self.uow, self.job, self.rules = uow, job, rules
        self.active_admins = 0
        self.accepted: list[User] = []
        self.activities: list[tuple[uuid.UUID, str, dict[str, Any] | None]] = []
        self.now = datetime.now(UTC)

    def judge(self, user: User, is_admin: bool) -> tuple[ItemOutcome, str | None]:
        target = Target(
            id=user.id,
            status=user.status,
            role_is_admin=is_admin,
            address_suppressed=is_suppressed(user.email_state, user.email_bounce_kind),
            invitation_requested_at=user.invitation_requested_at,
        )
        others = self.active_admins - (1 if target.is_active_admin else 0)
        refused = refusal(self.rules, target, others)
        if refused is not None:
            return ItemOutcome.REFUSED, refused.message
        if takes_admin_standing(self.rules, target):
            self.active_admins -= 1
        self.accepted.append(user)
        return ItemOutcome.UPDATED, None

    async def act(self) -> dict[uuid.UUID, tuple[ItemOutcome, str | None]]:
        """Do the action for the accepted users; those it left as they were, said so."""
        action = self.rules.action
        if action in (BulkAction.ADD_TO_GROUP, BulkAction.REMOVE_FROM_GROUP):
            return await self._memberships()
        unchanged: dict[uuid.UUID, tuple[ItemOutcome, str | None]] = {}
        with self.uow.session.no_autoflush:
            for user in self.accepted:
                if not await self._act_on(user):
                    unchanged[user.id] = (ItemOutcome.UNCHANGED, None)
        changed = [u for u in self.accepted if u.id not in unchanged]
        await bulk_db.write_users(self.uow.session, changed, WRITTEN[action])
        if action is BulkAction.DEACTIVATE:
            ids = [u.id for u in self.accepted]
            await bulk_db.revoke_sessions(self.uow.session, self.job.tenant_id, ids, self.now)
        await bulk_db.add_activities(
            self.uow.session, self.job.tenant_id, self.job.created_by, self.now, self.activities
        )
        return unchanged

    async def _act_on(self, user: User) -> bool:
        action, params = self.rules.action, self.job.params
        if action is BulkAction.DEACTIVATE:
            user.status = UserStatus.DEACTIVATED
            user.deactivated_at, user.deactivated_by = self.now, self.job.created_by
            user.deactivation_reason = params.get("reason")
            self._changed(
                user,
                UserChange.DEACTIVATED,
                ActivityKind.DEACTIVATED,
                {"reason": params.get("reason")},
            )
        elif action is BulkAction.REACTIVATE:
            user.status = status_after_reactivation(user.password_hash is not None)
            self._changed(user, UserChange.REACTIVATED, ActivityKind.REACTIVATED, None)
        elif action is BulkAction.RESEND_INVITATION:
            await self._resend(user)
        elif action is BulkAction.SET_CUSTOM_FIELD:
            return self._set_field(user, params["field_id"], params["value"])
        elif action is BulkAction.CHANGE_ROLE:
            if user.role == params["role"]:
                return False
            details = {"from": user.role, "to": params["role"]}
            self.activities.append((user.id, ActivityKind.ROLE_CHANGED, details))
            user.role = params["role"]
            self._changed(user, UserChange.UPDATED, ActivityKind.UPDATED, {"changed": ["role"]})
        return True

    def _set_field(self, user: User, field_id: str, value: Any) -> bool:
        values = dict(user.custom_fields or {})
        if values.get(field_id) == value:
            return False
        if value is None:
            values.pop(field_id, None)
        else:
            values[field_id] = value
        user.custom_fields = values
        self._changed(
            user, UserChange.UPDATED, ActivityKind.UPDATED, {"changed": ["custom_fields"]}
        )
        return True

    async def _resend(self, user: User) -> None:
        tenant = await load_tenant(self.uow.session, self.job.tenant_id)
        user.invitation_request_id = uuid.uuid4()
        user.invitation_state = invitation_state.after_request(user.invitation_state)
        user.invitation_requested_at = self.now
        user.invitation_resend_count += 1
        self._changed(user, UserChange.UPDATED, ActivityKind.RESEND_REQUESTED, None)
        request_invitation(self.uow, tenant, user, job_actor(self.job), is_resend=True)

    def _changed(
        self, user: User, change: UserChange, kind: str, details: dict[str, Any] | None
    ) -> None:
        self.uow.user_changed(user, change, at=self.now)
        self.activities.append((user.id, kind, details))

    async def _memberships(self) -> dict[uuid.UUID, tuple[ItemOutcome, str | None]]:
        group_id = uuid.UUID(self.job.params["group_id"])
        ids = [u.id for u in self.accepted]
        tenant_id = self.job.tenant_id
        if self.rules.action is BulkAction.ADD_TO_GROUP:
            changed = await bulk_db.add_members(self.uow.session, tenant_id, group_id, ids)
        else:
            changed = await bulk_db.remove_members(self.uow.session, tenant_id, group_id, ids)
        for user in self.accepted:
            if user.id in changed:
                self.uow.user_changed(user, at=self.now)
        return {u: (ItemOutcome.UNCHANGED, None) for u in ids if u not in changed}
