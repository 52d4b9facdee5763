"""Before a bulk action: how many users it would act on, a few of them, and how many the
rules would refuse and why. Then, confirmed, the job (one running per tenant and action)."""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.directory.db import bulk as bulk_db
from services.directory.db import jobs as jobs_db
from services.directory.db.job_tables import Job
from services.directory.db.models import User
from services.directory.domain.bulk_rules import (
    TOUCHES_ADMINS,
    Refusal,
    Target,
    admins_refused,
    refusal,
    takes_admin_standing,
)
from services.directory.domain.jobs import JobKind, JobState
from services.directory.usecases.bulk.request import (
    BulkRequest,
    checked_params,
    rules_for,
    target_conditions,
)
from services.directory.usecases.jobs.principal import principal_params
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.security.access_tokens import Principal

SAMPLE_SIZE = 10
NOT_ADMIN = 1_000_000  # "plenty of other admins": the last-admin rule is counted apart


@dataclass(frozen=True)
class BulkPreview:
    count: int
    sample: list[User]
    refusals: dict[str, int]

    @property
    def would_act_on(self) -> int:
        return self.count - sum(self.refusals.values())


async def preview_bulk(
    uow: DirectoryUnitOfWork, actor: Principal, request: BulkRequest, resend_interval: timedelta
) -> BulkPreview:
    params = await checked_params(uow.session, actor, request.action, request.params)
    where = await target_conditions(uow.session, actor.tenant_id, request.filters, request.user_ids)
    rules = rules_for(request.action, actor.user_id, params, resend_interval)
    facts = await bulk_db.facts_summary(
        uow.session, where, actor.user_id, rules.now - resend_interval
    )
    refusals: Counter[str] = Counter()
    count = admins_targeted = 0
    for status, is_admin, suppressed, recent, is_self, how_many in facts:
        count += how_many
        target = Target(
            id=actor.user_id if is_self else uuid.uuid4(),
            status=status,
            role_is_admin=is_admin,
            address_suppressed=suppressed,
            invitation_requested_at=rules.now if recent else None,
        )
        refused = refusal(rules, target, NOT_ADMIN)
        if refused:
            refusals[refused.code.value] += how_many
        elif takes_admin_standing(rules, target):
            admins_targeted += how_many
    if request.action in TOUCHES_ADMINS and admins_targeted:
        active = await bulk_db.count_active_admins(uow.session, actor.tenant_id)
        if last := admins_refused(admins_targeted, active):
            refusals[Refusal.LAST_ADMIN.value] += last
    sample = await bulk_db.sample(uow.session, where, SAMPLE_SIZE)
    return BulkPreview(count, sample, dict(refusals))


ALREADY_RUNNING = "A bulk {action} is already running for this platform; wait for it or cancel it."


async def start_bulk(
    uow: DirectoryUnitOfWork,
    actor: Principal,
    request: BulkRequest,
    keep_for: timedelta,
    resend_interval: timedelta,
) -> Job:
    """The job, queued: the users it acts on are fixed when it starts."""
    params = await checked_params(uow.session, actor, request.action, request.params)
    now = datetime.now(UTC)
    job = jobs_db.add_job(
        uow.session,
        tenant_id=actor.tenant_id,
        id=uuid.uuid4(),
        kind=JobKind.BULK,
        action=request.action.value,
        state=JobState.QUEUED,
        params={
            **params,
            "filters": request.filters.model_dump(mode="json", exclude_defaults=True)
            if request.filters is not None
            else None,
            "user_ids": [str(u) for u in request.user_ids]
            if request.user_ids is not None
            else None,
            "resend_interval_seconds": resend_interval.total_seconds(),
            **principal_params(actor),
        },
        created_by=actor.user_id,
        created_at=now,
        expires_at=now + keep_for,
        counts={},
    )
    await uow.flush(conflict=ALREADY_RUNNING.format(action=request.action.value.replace("_", " ")))
    return job
