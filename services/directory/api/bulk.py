"""/api/v1/users/bulk: one action on every user a filter matches (or on named users):
a preview first, then, confirmed, a job with progress, per-user results, cancellation."""

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

from fastapi import Query, Request, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError

from services.directory.api.cursors import job_cursor, job_position
from services.directory.api.dependencies import (
    CanActInBulk,
    Settings,
    UoW,
    separate_unit_of_work,
)
from services.directory.api.job_schemas import (
    BulkIn,
    BulkPreviewOut,
    JobOut,
    ListedJobOut,
    SampleUser,
    job_out,
    listed_job_out,
)
from services.directory.domain.jobs import JobKind
from services.directory.usecases.bulk.preview_bulk import preview_bulk, start_bulk
from services.directory.usecases.bulk.request import BulkRequest
from services.directory.usecases.jobs.read_jobs import cancel_job, get_job, job_items, list_jobs
from shared.errors import Invalid
from shared.http.authentication import ServiceRouter
from shared.schemas import Page
from shared.security.access_tokens import Principal

router = ServiceRouter(prefix="/api/v1/users/bulk", tags=["bulk actions"])


@router.post("", summary="Preview a bulk action (confirm: false) or start it (confirm: true)")
async def bulk(
    body: BulkIn, actor: CanActInBulk, uow: UoW, settings: Settings
) -> BulkPreviewOut | JobOut:
    request = BulkRequest(body.action, _filters(body), body.user_ids, body.params)
    interval = timedelta(seconds=settings.invitation_resend_interval_seconds)
    if not body.confirm:
        preview = await preview_bulk(uow, actor, request, interval)
        return BulkPreviewOut(
            action=body.action,
            count=preview.count,
            would_act_on=preview.would_act_on,
            refusals=preview.refusals,
            sample=[SampleUser.model_validate(u, from_attributes=True) for u in preview.sample],
        )
    job = await start_bulk(uow, actor, request, settings.job_keep_for, interval)
    return JSONResponse(  # type: ignore[return-value]
        job_out(job).model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"/api/v1/users/bulk/{job.id}"},
    )


def _filters(body: BulkIn):  # type: ignore[no-untyped-def]
    try:
        return body.user_filters()
    except ValidationError as error:
        problems = "; ".join(
            ": ".join([*(str(part) for part in e["loc"][:1]), str(e["msg"])])
            for e in error.errors()
        )
        raise Invalid(f"filters: {problems}") from None


@router.get(
    "",
    summary="The tenant's bulk jobs, newest first, a page at a time",
    response_model=Page[ListedJobOut],
)
async def jobs(
    actor: CanActInBulk,
    uow: UoW,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[ListedJobOut]:
    found, total = await list_jobs(uow, actor, JobKind.BULK, limit + 1, job_position(cursor))
    items, more = found[:limit], len(found) > limit
    last = items[-1].job if items and more else None
    return Page(
        items=[listed_job_out(j) for j in items],
        next_cursor=job_cursor(last.created_at, last.id) if last else None,
        total=total,
    )


@router.get("/{job_id}", summary="A bulk job: state and progress")
async def show(job_id: uuid.UUID, actor: CanActInBulk, uow: UoW) -> JobOut:
    return job_out(await get_job(uow, actor, job_id, JobKind.BULK))


@router.post("/{job_id}/cancel", summary="Stop the job after the batch under way")
async def cancel(job_id: uuid.UUID, actor: CanActInBulk, uow: UoW) -> JobOut:
    return job_out(await cancel_job(uow, actor, job_id, JobKind.BULK))


@router.get("/{job_id}/results.csv", summary="Each user's outcome, as CSV")
async def results(
    job_id: uuid.UUID, actor: CanActInBulk, uow: UoW, request: Request
) -> StreamingResponse:
    await get_job(uow, actor, job_id, JobKind.BULK)
    return StreamingResponse(
        _csv(request, actor, job_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="bulk-{job_id}.csv"'},
    )


async def _csv(request: Request, actor: Principal, job_id: uuid.UUID) -> AsyncIterator[bytes]:
    """Streamed after the route's own transaction ended: read in one of its own."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["user_id", "outcome", "reason"])
    async with separate_unit_of_work(request) as uow:
        async for item in job_items(uow, actor, job_id):
            outcome = item.outcome.value if item.outcome else "not done"
            writer.writerow([item.user_id, outcome, item.reason or ""])
            if out.tell() > 64_000:
                yield out.getvalue().encode()
                out.seek(0)
                out.truncate()
    yield out.getvalue().encode()
