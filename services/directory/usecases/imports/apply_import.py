"""Applying a previewed import: confirmed once (a second confirmation finds the job of the
first), then run a batch at a time by the job runner. Each batch judges its rows against
the users as they are then, creates or updates them with the same events as the single-user
routes (`user.created`, `invitation.requested` if asked, `user.updated`), and records each
row's outcome in the same transaction, so no row is ever applied twice."""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.directory.db import address_locks
from services.directory.db import imports as imports_db
from services.directory.db import jobs as jobs_db
from services.directory.db.job_tables import ImportRowRecord, Job, UserImport
from services.directory.domain.import_rows import ImportRow, RowPlan
from services.directory.domain.jobs import ItemOutcome, JobKind, JobState
from services.directory.usecases.common import load_tenant
from services.directory.usecases.imports.judging import judge, tenancy
from services.directory.usecases.imports.writing import ImportWriter
from services.directory.usecases.jobs.principal import job_actor, principal_params
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.errors import Gone, NotFound
from shared.security.access_tokens import Principal

IMPORT_ACTION = "import"
ALREADY_RUNNING = "Another import is being applied; wait for it to end (or cancel it)."


@dataclass(frozen=True)
class ApplyOptions:
    send_invitations: bool = True
    update_existing: bool = True


async def load_import(
    uow: DirectoryUnitOfWork, actor: Principal, import_id: uuid.UUID
) -> UserImport:
    record = await imports_db.get_import(uow.session, actor.tenant_id, import_id, for_update=True)
    if record is None:
        raise NotFound("There is no such import.")
    if record.expires_at <= datetime.now(UTC):
        raise Gone("This import is older than its keeping time; upload the file again.")
    return record


async def apply_import(
    uow: DirectoryUnitOfWork,
    actor: Principal,
    import_id: uuid.UUID,
    options: ApplyOptions,
    keep_for: timedelta,
) -> tuple[Job, bool]:
    """The import's job, and whether it was started now (False: already confirmed)."""
    record = await load_import(uow, actor, import_id)
    if record.job_id is not None:
        job = await jobs_db.get_job(uow.session, actor.tenant_id, record.job_id)
        assert job is not None
        return job, False
    now = datetime.now(UTC)
    job = jobs_db.add_job(
        uow.session,
        tenant_id=actor.tenant_id,
        id=uuid.uuid4(),
        kind=JobKind.IMPORT,
        action=IMPORT_ACTION,
        state=JobState.QUEUED,
        params={
            "import_id": str(record.id),
            "send_invitations": options.send_invitations,
            "update_existing": options.update_existing,
            **principal_params(actor),
        },
        created_by=actor.user_id,
        created_at=now,
        expires_at=max(record.expires_at, now + keep_for),
        total=int(record.counts.get("rows", 0)),
        counts={},
    )
    await uow.flush(conflict=ALREADY_RUNNING)
    record.job_id = job.id
    return job, True


async def apply_import_batch(
    uow: DirectoryUnitOfWork, job: Job, limit: int, *, smtputf8: bool = False
) -> Counter[str]:
    """Apply the next `limit` rows; their outcomes, counted. Empty: nothing was left.
    `smtputf8` is the runner's EMAIL_SMTPUTF8: each row is judged again by the rules now."""
    import_id = uuid.UUID(job.params["import_id"])
    after = int(job.params.get("after", 0))
    rows = await imports_db.rows_to_apply(uow.session, job.tenant_id, import_id, limit, after)
    if not rows:
        return Counter()
    job.params = {**job.params, "after": rows[-1].row_number}
    actor = job_actor(job)
    record = await imports_db.get_import(uow.session, job.tenant_id, import_id)
    assert record is not None
    now_tenancy = await tenancy(uow.session, actor, record.create_groups, smtputf8=smtputf8)
    tenant = await load_tenant(uow.session, job.tenant_id)
    send = bool(job.params["send_invitations"])
    writer = ImportWriter(uow, actor, tenant, now_tenancy, send_invitations=send)
    outcomes: list[dict[str, Any]] = []
    refused = [r for r in rows if r.plan is RowPlan.ERROR]
    outcomes += [_outcome(r, ItemOutcome.REFUSED, r.message) for r in refused]
    to_judge = [ImportRow(r.row_number, r.cells) for r in rows if r.plan is not RowPlan.ERROR]
    # Before the rows are judged: no look-alike of a new address is written meanwhile.
    await address_locks.hold_all_addresses(uow.session, job.tenant_id)
    judged = await judge(uow.session, job.tenant_id, now_tenancy, to_judge, None, for_update=True)
    for item in judged:
        outcome, message, user_id = await writer.write(item, job.params["update_existing"])
        outcomes.append(
            {
                "row_number": item.number,
                "outcome": outcome,
                "outcome_message": message,
                "user_id": user_id,
            }
        )
    await writer.finish()
    await imports_db.record_outcomes(uow.session, job.tenant_id, import_id, outcomes)
    return Counter(o["outcome"].value for o in outcomes)


def _outcome(row: ImportRowRecord, outcome: ItemOutcome, message: str | None) -> dict[str, Any]:
    return {
        "row_number": row.row_number,
        "outcome": outcome,
        "outcome_message": message,
        "user_id": None,
    }
