"""Jobs that act on many users (an import's apply, a bulk action): their states, the
words of their outcomes, and which states a job may leave."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class JobState(StrEnum):
    """The exports service's job vocabulary, plus cancelled."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


UNFINISHED = (JobState.QUEUED, JobState.RUNNING)


class JobKind(StrEnum):
    IMPORT = "import"
    BULK = "bulk"


class ItemOutcome(StrEnum):
    """What became of one row or user."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"  # an existing user, and the admin chose not to update them
    REFUSED = "refused"  # a rule forbids it (or the row is wrong)
    FAILED = "failed"  # it could not be done (a concurrent change); the rest went on


def is_finished(state: JobState) -> bool:
    return state not in UNFINISHED


def can_cancel(state: JobState) -> bool:
    return state in UNFINISHED


class JobRecord(Protocol):
    """A job as the directory stores it (the ORM's `Job` is one)."""

    id: uuid.UUID
    kind: JobKind
    action: str
    state: JobState
    params: dict[str, Any]
    created_by: uuid.UUID
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime
    total: int | None
    processed: int
    counts: dict[str, int]
    cancel_requested: bool
    error: str | None  # why it failed


@dataclass(frozen=True)
class ListedJob:
    """A job as the tenant's list shows it: with who started it."""

    job: JobRecord
    starter_email: str | None  # None: that user is gone
    starter_name: str | None


class ImportRecord(Protocol):
    id: uuid.UUID
    file_name: str
    file_kind: str
    create_groups: bool
    columns: list[str]
    ignored_columns: list[str]
    counts: dict[str, int]
    created_at: datetime
    expires_at: datetime


class ImportRowView(Protocol):
    row_number: int
    email: str
    plan: Any
    changes: list[str]
    message: str | None
    outcome: ItemOutcome | None
    outcome_message: str | None
    user_id: uuid.UUID | None
