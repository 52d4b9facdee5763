"""An export job: its states, and what a request for one says."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, Protocol

from shared.contracts.user_filters import UserSort

FileFormat = Literal["csv", "xlsx"]
Language = Literal["fr", "en"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ExportRequest:
    """What an admin asked for, checked."""

    tenant_id: uuid.UUID
    requested_by: uuid.UUID
    format: FileFormat
    filters: dict[str, Any]  # as given (UserFilters' names), read again by the worker
    sort: UserSort
    delimiter: Literal[";", ","]
    language: Language | None  # None: the admin's own language


@dataclass(frozen=True)
class ClaimedJob:
    """A job a worker holds: built under `token` until `lease_until`, renewed as it goes."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    requested_by: uuid.UUID
    format: FileFormat
    filters: dict[str, Any]
    sort: UserSort
    delimiter: Literal[";", ","]
    language: Language
    token: uuid.UUID
    attempts: int
    created_at: datetime


def file_name(job_id: uuid.UUID, created_at: datetime, file_format: str) -> str:
    """The name a download is saved under: users, when it was asked for, the job (so that
    two exports of one minute differ), the format. The tenant's id would say nothing to
    the admin, and the access token names no tenant slug."""
    return f"users-{created_at:%Y-%m-%d-%H%M}-{str(job_id)[:8]}.{file_format}"


def storage_key(job: ClaimedJob) -> str:
    """Where this attempt's file is stored: an attempt that lost its claim writes elsewhere
    than the one that took over, and only the winner's key is recorded."""
    return f"{job.tenant_id}/{job.id}/{job.token}.{job.format}"


def expires_at(finished_at: datetime, ttl: timedelta) -> datetime:
    return finished_at + ttl


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range a `Range: bytes=...` header asks of a file of `size` bytes, as (first,
    last) inclusive; None for the whole file (no header, several ranges, or one that can't
    be served: a server may ignore a Range header and answer the whole file)."""
    if not header or not header.startswith("bytes=") or "," in header or size == 0:
        return None
    first_text, _, last_text = header.removeprefix("bytes=").strip().partition("-")
    try:
        if not first_text:  # the last N bytes
            suffix = int(last_text)
            return (max(size - suffix, 0), size - 1) if suffix > 0 else None
        first = int(first_text)
        last = int(last_text) if last_text else size - 1
    except ValueError:
        return None
    if first < 0 or first >= size or last < first:
        return None
    return first, min(last, size - 1)


class JobRecord(Protocol):
    """A job as stored (the ORM's `Job` is one): what the API shows."""

    id: uuid.UUID
    format: str
    filters: dict[str, Any]
    sort: str
    state: JobState
    attempts: int
    rows_expected: int | None
    rows_written: int
    row_count: int | None
    size_bytes: int | None
    error: str | None
    file_name: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
