"""The API's request and response bodies."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.exports.domain.jobs import JobRecord, JobState
from shared.schemas import RequestModel


class ExportIn(RequestModel):
    format: Literal["csv", "xlsx"]
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description="The filters of GET /api/v1/users, same names and meaning "
        '(e.g. {"status": ["invited"], "q": "tremblay", "field.department": "TI"}).',
    )
    sort: str | None = Field(default=None, description="As GET /api/v1/users: name, -created_at…")
    delimiter: Literal[";", ","] = Field(
        default=";", description="CSV only: ';' (French Excel) or ','."
    )
    language: Literal["fr", "en"] | None = Field(
        default=None, description="The headers' language; default: the admin's own."
    )


class Progress(BaseModel):
    rows_written: int
    rows_expected: int | None


class ExportOut(BaseModel):
    id: uuid.UUID
    format: str
    state: JobState
    filters: dict[str, Any]
    sort: str
    progress: Progress
    row_count: int | None
    size_bytes: int | None
    error: str | None
    attempts: int
    file_name: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
    file_url: str | None = Field(description="Where to download the file once done.")

    @classmethod
    def of(cls, job: JobRecord) -> "ExportOut":
        done = job.state is JobState.DONE
        return cls(
            id=job.id,
            format=job.format,
            state=job.state,
            filters=job.filters,
            sort=job.sort,
            progress=Progress(rows_written=job.rows_written, rows_expected=job.rows_expected),
            row_count=job.row_count,
            size_bytes=job.size_bytes,
            error=job.error,
            attempts=job.attempts,
            file_name=job.file_name,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            expires_at=job.expires_at,
            file_url=f"/api/v1/exports/{job.id}/file" if done else None,
        )


class ExportList(BaseModel):
    items: list[ExportOut]
