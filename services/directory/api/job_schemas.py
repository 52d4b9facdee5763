"""What the import and bulk-action routes take and answer."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from services.directory.domain.bulk_rules import BulkAction
from services.directory.domain.jobs import (
    ImportRecord,
    ImportRowView,
    JobRecord,
    JobState,
    ListedJob,
)
from shared.contracts.user_filters import UserFilters
from shared.schemas import RequestModel


class JobOut(BaseModel):
    id: uuid.UUID
    kind: str
    action: str
    state: JobState
    total: int | None
    processed: int
    counts: dict[str, int]
    cancel_requested: bool
    created_by: uuid.UUID
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime
    params: dict[str, Any]
    error: str | None = Field(
        description="Why the job failed (state failed): it could not start, e.g. the group "
        "it adds to was deleted since the preview"
    )


def job_out(job: JobRecord) -> JobOut:
    shown = {k: v for k, v in job.params.items() if not k.startswith("actor_") and k != "after"}
    return JobOut(
        id=job.id,
        kind=job.kind.value,
        action=job.action,
        state=job.state,
        total=job.total,
        processed=job.processed,
        counts=job.counts,
        cancel_requested=job.cancel_requested,
        created_by=job.created_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        expires_at=job.expires_at,
        params=shown,
        error=job.error,
    )


class ListedJobOut(JobOut):
    created_by_email: str | None = Field(description="Who started it (null: since deleted)")
    created_by_name: str | None


def listed_job_out(listed: ListedJob) -> ListedJobOut:
    return ListedJobOut(
        **job_out(listed.job).model_dump(),
        created_by_email=listed.starter_email,
        created_by_name=listed.starter_name,
    )


class ImportRowOut(BaseModel):
    row: int
    email: str
    plan: str
    changes: list[str]
    message: str | None
    outcome: str | None
    outcome_message: str | None
    user_id: uuid.UUID | None


def import_row_out(row: ImportRowView) -> ImportRowOut:
    return ImportRowOut(
        row=row.row_number,
        email=row.email,
        plan=row.plan.value,
        changes=row.changes,
        message=row.message,
        outcome=row.outcome.value if row.outcome else None,
        outcome_message=row.outcome_message,
        user_id=row.user_id,
    )


class ImportOut(BaseModel):
    id: uuid.UUID
    file_name: str
    file_kind: str
    create_groups: bool
    columns: list[str]
    ignored_columns: list[str]
    counts: dict[str, int]
    created_at: datetime
    expires_at: datetime
    job: JobOut | None
    rows: list[ImportRowOut] = Field(default_factory=list)
    next_after: int | None = None


def import_out(
    record: ImportRecord, job: JobRecord | None, rows: Sequence[ImportRowView], limit: int
) -> ImportOut:
    return ImportOut(
        id=record.id,
        file_name=record.file_name,
        file_kind=record.file_kind,
        create_groups=record.create_groups,
        columns=record.columns,
        ignored_columns=record.ignored_columns,
        counts=record.counts,
        created_at=record.created_at,
        expires_at=record.expires_at,
        job=job_out(job) if job else None,
        rows=[import_row_out(r) for r in rows],
        next_after=rows[-1].row_number if len(rows) == limit else None,
    )


class ApplyIn(RequestModel):
    send_invitations: bool = True
    update_existing: bool = True


class BulkIn(RequestModel):
    action: BulkAction
    filters: dict[str, Any] | None = Field(
        default=None, description="The filters of GET /api/v1/users (field.<key> for custom fields)"
    )
    user_ids: list[uuid.UUID] | None = Field(default=None, max_length=10_000)
    params: dict[str, Any] = Field(default_factory=dict)
    confirm: bool = Field(default=False, description="false: preview only; true: start the job")

    @model_validator(mode="after")
    def _one_way_to_choose(self) -> "BulkIn":
        if (self.filters is None) == (self.user_ids is None):
            raise ValueError("give either filters (possibly {} for everyone) or user_ids")
        return self

    def user_filters(self) -> UserFilters | None:
        return None if self.filters is None else UserFilters.model_validate(self.filters)


class SampleUser(BaseModel):
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    status: str
    role: str


class BulkPreviewOut(BaseModel):
    action: BulkAction
    count: int
    would_act_on: int
    refusals: dict[str, int]
    sample: list[SampleUser]
