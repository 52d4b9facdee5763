"""Bulk actions from the directory: the ticked users or every user the filters match,
an action and what it needs, the preview (how many, who, what the rules refuse and why),
the confirmation, then the job's progress, its cancellation and its results."""

import re
import uuid
from contextlib import suppress
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Query, Request
from fastapi.responses import Response

from services.admin.adapters.api_client import ApiProblem
from services.admin.api.context import AdminCaller, console, go_to, render, targets
from services.admin.domain.bulk import BULK_ACTIONS, BulkChoice, distinct, refusal_lines
from services.admin.domain.filters import DirectoryQuery
from services.admin.domain.messages import Message
from services.admin.domain.refusals import Refusal, refusal_of
from services.admin.usecases import bulk_jobs as use
from shared.http.authentication import ServiceRouter

router = ServiceRouter(include_in_schema=False)

_FILENAME = re.compile(r'filename="?([^";]+)"?')
_TEXT_LIMIT = 4000


def _choice(form: Any) -> BulkChoice:
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip()[:_TEXT_LIMIT] if isinstance(value, str) else ""

    return BulkChoice(
        action=text("action"),
        scope="filters" if text("scope") == "filters" else "selected",
        filters=text("filters").lstrip("?"),
        user_ids=distinct(v for v in form.getlist("user_id") if isinstance(v, str) and _is_uuid(v)),
        reason=text("reason")[:500],
        group_id=text("group_id"),
        role=text("role"),
        field_key=text("field_key"),
        field_value=text("field_value"),
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@router.post("/bulk")
async def bulk(request: Request, caller: AdminCaller) -> Response:
    """Without `step=confirm`: the preview (or what is missing); with it: the job."""
    form = await request.form()
    choice = _choice(form)
    query = DirectoryQuery.from_pairs(parse_qsl(choice.filters))
    filters = query.export_filters(console(request).zone)
    groups, fields = await use.bulk_choices(caller)
    page: dict[str, Any] = {
        "choice": choice,
        "query": query,
        "groups": groups,
        "fields": fields,
        "ACTIONS": BULK_ACTIONS,
        "preview": None,
        "refusal": Refusal(),
    }
    if form.get("step") == "edit":
        return render(request, "bulk.html", **page)
    if missing := choice.missing():
        page["refusal"] = Refusal(general=[Message(missing)])
        return render(request, "bulk.html", **page)
    try:
        if form.get("step") == "confirm":
            job = await use.start_bulk(caller, choice, filters)
            return go_to(request, f"/bulk/{job['id']}")
        preview = await use.preview_bulk(caller, choice, filters)
    except ApiProblem as problem:
        page["refusal"] = refusal_of(
            problem.status, problem.detail, problem.errors, problem.retry_after
        )
        return render(request, "bulk.html", 422, **page)
    page["preview"] = preview
    page["refused"] = refusal_lines(preview.get("refusals") or {})
    return render(request, "bulk.html", **page)


@router.get("/bulk")
async def jobs_page(
    request: Request, caller: AdminCaller, cursor: Annotated[str, Query(max_length=2000)] = ""
) -> Response:
    """The tenant's bulk jobs: who started what, when, how far it got; stop one that runs."""
    jobs, next_cursor = await use.list_bulk_jobs(caller, cursor or None)
    template = "partials/bulk_jobs.html" if targets(request, "bulk-jobs") else "bulk_jobs.html"
    return render(request, template, jobs=jobs, cursor=cursor, next_cursor=next_cursor)


@router.get("/bulk/{job_id}")
async def job_page(request: Request, job_id: uuid.UUID, caller: AdminCaller) -> Response:
    job = await use.show_bulk_job(caller, str(job_id))
    template = "partials/bulk_job.html" if targets(request, "bulk-job") else "bulk_job.html"
    return render(request, template, job=job)


@router.post("/bulk/{job_id}/cancel")
async def cancel(request: Request, job_id: uuid.UUID, caller: AdminCaller) -> Response:
    form = await request.form()
    with suppress(ApiProblem):  # it ended meanwhile: the page shows how
        await use.cancel_bulk_job(caller, str(job_id))
    back = "/bulk" if form.get("back") == "list" else f"/bulk/{job_id}"
    return go_to(request, back)


@router.get("/bulk/{job_id}/results.csv")
async def results(job_id: uuid.UUID, caller: AdminCaller) -> Response:
    content, media_type, disposition = await use.download(
        caller, f"/api/v1/users/bulk/{job_id}/results.csv"
    )
    found = _FILENAME.search(disposition)
    name = found.group(1) if found else f"bulk-{job_id}.csv"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
