"""The tables of imports and bulk jobs: a job, its items (the rows of an import, the users
of a bulk action) with what became of each, and an import's uploaded rows."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.directory.db.models import Base, Timestamp
from services.directory.domain.import_rows import RowPlan
from services.directory.domain.jobs import ItemOutcome, JobKind, JobState
from shared.db import stored_as_text


class Job(Base):
    __tablename__ = "bulk_jobs"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[JobKind] = mapped_column(stored_as_text(JobKind, 10))
    action: Mapped[str] = mapped_column(String(40))
    state: Mapped[JobState] = mapped_column(stored_as_text(JobState, 12))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    total: Mapped[int | None] = mapped_column(Integer)
    processed: Mapped[int] = mapped_column(Integer, server_default="0")
    counts: Mapped[dict[str, int]] = mapped_column(JSONB, server_default=text("'{}'"))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, server_default="false")
    lease_owner: Mapped[uuid.UUID | None]
    lease_expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # One running job per tenant and action (an import's apply counts as "import").
        Index(
            "uq_bulk_jobs_running",
            "tenant_id",
            "action",
            unique=True,
            postgresql_where=text("state IN ('queued', 'running')"),
        ),
        Index(
            "ix_bulk_jobs_to_run",
            "created_at",
            postgresql_where=text("state IN ('queued', 'running')"),
        ),
        Index("ix_bulk_jobs_listed", "tenant_id", "created_at"),
    )


class JobItem(Base):
    """One user a bulk action is to act on, and (once done) what became of them."""

    __tablename__ = "bulk_job_items"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    outcome: Mapped[ItemOutcome | None] = mapped_column(stored_as_text(ItemOutcome, 12))
    reason: Mapped[str | None] = mapped_column(Text)


class UserImport(Base):
    __tablename__ = "user_imports"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    file_name: Mapped[str] = mapped_column(String(255))
    file_kind: Mapped[str] = mapped_column(String(10))
    create_groups: Mapped[bool] = mapped_column(Boolean)
    columns: Mapped[list[str]] = mapped_column(JSONB)
    ignored_columns: Mapped[list[str]] = mapped_column(JSONB)
    counts: Mapped[dict[str, int]] = mapped_column(JSONB)
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    job_id: Mapped[uuid.UUID | None]

    __table_args__ = (Index("ix_user_imports_listed", "tenant_id", "created_at"),)


class ImportRowRecord(Base):
    """A row of an uploaded file: its cells, the preview's verdict, then the outcome."""

    __tablename__ = "user_import_rows"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    import_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(Text)
    cells: Mapped[dict[str, Any]] = mapped_column(JSONB)
    plan: Mapped[RowPlan] = mapped_column(stored_as_text(RowPlan, 10))
    changes: Mapped[list[str]] = mapped_column(JSONB)
    message: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[ItemOutcome | None] = mapped_column(stored_as_text(ItemOutcome, 12))
    outcome_message: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[uuid.UUID | None]
