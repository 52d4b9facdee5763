"""Running a bulk job: its users fixed when it starts, then acted on a batch at a time with
the single-user routes' rules, changes, activities and events."""

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row

from services.directory.db import bulk as bulk_db
from services.directory.db import jobs as jobs_db
from services.directory.db import users as users_db
from services.directory.db.job_tables import Job
from services.directory.domain import invitation_state
from services.directory.domain.activities import ActivityKind
from services.directory.domain.bulk_rules import (
    TOUCHES_ADMINS,
    BulkAction,
    BulkRules,
    Target,
    counts_admins,
    is_suppressed,
    judge_batch,
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
    """The next `limit` users: their rows read and locked, the rules applied to the batch
    at once, then the changes, activities, memberships and outcomes written a statement
    each for the batch, and one `user.*` event a changed user built from the rows written
    (while the database runs those statements)."""
    await bulk_db.plan_generically(uow.session)
    ids = await jobs_db.next_targets(uow.session, job, limit)
    if not ids:
        await bulk_db.merge_pending_index_entries(uow.session)
        return Counter()
    await bulk_db.defer_index_merges(uow.session)
    job.params = {**job.params, "after": str(ids[-1])}
    action = BulkAction(job.action)
    interval = timedelta(seconds=job.params.get("resend_interval_seconds", 60))
    rules = rules_for(action, job.created_by, job.params, interval)
    if action in TOUCHES_ADMINS:
        await users_db.lock_tenant(uow.session, job.tenant_id)  # the last-admin rule
    found = await bulk_db.users_with_roles(uow.session, job.tenant_id, ids)
    outcomes: dict[uuid.UUID, tuple[ItemOutcome, str | None]] = {
        user_id: (ItemOutcome.FAILED, "This user no longer exists.") for user_id in ids
    }
    targets = [_target(row, is_admin) for row, is_admin in found]
    active_admins = 0
    if action in TOUCHES_ADMINS and counts_admins(targets):  # a count of the whole tenant
        active_admins = await bulk_db.count_active_admins(uow.session, job.tenant_id)
    verdicts = judge_batch(rules, targets, active_admins)
    accepted = []
    for (row, _), refused in zip(found, verdicts, strict=True):
        if refused is None:
            outcomes[row.id] = (ItemOutcome.UPDATED, None)
            accepted.append(row)
        else:
            outcomes[row.id] = (ItemOutcome.REFUSED, refused.message)
    unchanged, writes = await _Batch(uow, job, rules).act(accepted)
    outcomes.update(unchanged)
    rows = [{"user_id": u, "outcome": o, "reason": r} for u, (o, r) in outcomes.items()]
    await uow.write_announcing(*writes, partial(jobs_db.record_outcomes, uow.session, job, rows))
    return Counter(o.value for o, _ in outcomes.values())


def _target(user: Row[Any], is_admin: bool) -> Target:
    return Target(
        id=user.id,
        status=user.status,
        role_is_admin=is_admin,
        address_suppressed=is_suppressed(user.email_state, user.email_bounce_kind),
        invitation_requested_at=user.invitation_requested_at,
    )


# What each action changes on a user row, with the event and activity it gives.
WRITTEN = {
    BulkAction.DEACTIVATE: (
        ("status", "text"),
        ("deactivated_at", "timestamptz"),
        ("deactivated_by", "uuid"),
        ("deactivation_reason", "text"),
    ),
    BulkAction.REACTIVATE: (("status", "text"),),
    BulkAction.RESEND_INVITATION: (
        ("invitation_request_id", "uuid"),
        ("invitation_state", "text"),
        ("invitation_requested_at", "timestamptz"),
        ("invitation_resend_count", "int"),
    ),
    BulkAction.SET_CUSTOM_FIELD: (("custom_fields", "jsonb"),),
    BulkAction.CHANGE_ROLE: (("role", "text"),),
    # A membership changed: the snapshot (its groups) is new, the row only its updated_at.
    BulkAction.ADD_TO_GROUP: (),
    BulkAction.REMOVE_FROM_GROUP: (),
}
CHANGE = {
    BulkAction.DEACTIVATE: UserChange.DEACTIVATED,
    BulkAction.REACTIVATE: UserChange.REACTIVATED,
}
Activities = list[tuple[uuid.UUID, str, dict[str, Any] | None]]
Outcomes = dict[uuid.UUID, tuple[ItemOutcome, str | None]]
Write = Callable[[], Awaitable[None]]


class _Batch:
    def __init__(self, uow: DirectoryUnitOfWork, job: Job, rules: BulkRules) -> None:
        self.uow, self.job, self.rules = uow, job, rules
        self.activities: Activities = []
        self.now = datetime.now(UTC)

    async def act(self, accepted: Sequence[Row[Any]]) -> tuple[Outcomes, list[Write]]:
        """Do the action for the accepted users: those it leaves as they were (said so),
        and the statements that write the rest, to run while their events are built (the
        rows they will write are known: the users are locked)."""
        action, session, tenant_id = self.rules.action, self.uow.session, self.job.tenant_id
        if action in (BulkAction.ADD_TO_GROUP, BulkAction.REMOVE_FROM_GROUP):
            changed_ids = await self._memberships([u.id for u in accepted])
            ids = [u.id for u in accepted if u.id in changed_ids]
            # The rows read back: their groups are the memberships' trigger's.
            written = await bulk_db.write_users(session, tenant_id, ids, [], self.now)
            self.uow.users_written(written, UserChange.UPDATED)
            return _unchanged(accepted, changed_ids), []
        new = [(user, self._values(user)) for user in accepted]
        changed = [(user, value) for user, value in new if value is not None]
        ids = [user.id for user, _ in changed]
        columns = [(name, kind, [v[name] for _, v in changed]) for name, kind in WRITTEN[action]]
        will_write = [bulk_db.as_written(user, value, self.now) for user, value in changed]
        self.uow.users_written(will_write, CHANGE.get(action, UserChange.UPDATED))
        if action is BulkAction.RESEND_INVITATION:
            await self._request_invitations(will_write)
        writes: list[Write] = [
            # First: their foreign keys' checks find the users locked by this transaction
            # and lock nothing more, where after the users' UPDATE each locked (and logged)
            # the row's new version.
            partial(
                bulk_db.add_activities,
                session,
                tenant_id,
                self.job.created_by,
                self.now,
                self.activities,
            ),
            partial(bulk_db.update_users, session, tenant_id, ids, columns, self.now),
        ]
        if action is BulkAction.DEACTIVATE:
            everyone = [u.id for u in accepted]
            writes.append(partial(bulk_db.revoke_sessions, session, tenant_id, everyone, self.now))
        return _unchanged(accepted, set(ids)), writes

    def _values(self, user: Row[Any]) -> dict[str, Any] | None:
        """The user's new values, the activities it gives; None: nothing to change."""
        action, params = self.rules.action, self.job.params
        if action is BulkAction.DEACTIVATE:
            self.activities.append(
                (user.id, ActivityKind.DEACTIVATED, {"reason": params.get("reason")})
            )
            return {
                "status": UserStatus.DEACTIVATED,
                "deactivated_at": self.now,
                "deactivated_by": self.job.created_by,
                "deactivation_reason": params.get("reason"),
            }
        if action is BulkAction.REACTIVATE:
            self.activities.append((user.id, ActivityKind.REACTIVATED, None))
            return {"status": status_after_reactivation(user.password_hash is not None)}
        if action is BulkAction.RESEND_INVITATION:
            self.activities.append((user.id, ActivityKind.RESEND_REQUESTED, None))
            return {
                "invitation_request_id": uuid.uuid4(),
                "invitation_state": invitation_state.after_request(user.invitation_state),
                "invitation_requested_at": self.now,
                "invitation_resend_count": user.invitation_resend_count + 1,
            }
        if action is BulkAction.SET_CUSTOM_FIELD:
            values = set_value(user.custom_fields or {}, params["field_id"], params["value"])
            if values is None:
                return None
            self.activities.append((user.id, ActivityKind.UPDATED, {"changed": ["custom_fields"]}))
            return {"custom_fields": values}
        assert action is BulkAction.CHANGE_ROLE
        if user.role == params["role"]:
            return None
        details = {"from": user.role, "to": params["role"]}
        self.activities.append((user.id, ActivityKind.ROLE_CHANGED, details))
        self.activities.append((user.id, ActivityKind.UPDATED, {"changed": ["role"]}))
        return {"role": params["role"]}

    async def _request_invitations(self, written: Sequence[SimpleNamespace]) -> None:
        tenant = await load_tenant(self.uow.session, self.job.tenant_id)
        actor = job_actor(self.job)
        for user in written:
            request_invitation(self.uow, tenant, user, actor, is_resend=True)

    async def _memberships(self, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        group_id = uuid.UUID(self.job.params["group_id"])
        tenant_id, session = self.job.tenant_id, self.uow.session
        if self.rules.action is BulkAction.ADD_TO_GROUP:
            return await bulk_db.add_members(session, tenant_id, group_id, ids)
        return await bulk_db.remove_members(session, tenant_id, group_id, ids)


def _unchanged(accepted: Sequence[Row[Any]], changed: set[uuid.UUID]) -> Outcomes:
    return {u.id: (ItemOutcome.UNCHANGED, None) for u in accepted if u.id not in changed}


def set_value(values: dict[str, Any], field_id: str, value: Any) -> dict[str, Any] | None:
    """The custom-field values with `field_id` set to `value` (None: removed); None when
    that changes nothing."""
    if values.get(field_id) == value:
        return None
    changed = dict(values)
    if value is None:
        changed.pop(field_id, None)
    else:
        changed[field_id] = value
    return changed
