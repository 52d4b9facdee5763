"""The exports service's tables: its copy of the users (fed by `user.*` snapshots), the
tenants' custom fields (from `custom_field.*`), and the jobs. `tenant_id` leads every
key and index of tenant data, except the job queue's (the workers serve every tenant)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Computed, Index, Integer, String, Text, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.exports.domain.jobs import JobState
from shared.db import TYPE_ANNOTATION_MAP, new_metadata, stored_as_text

# `last_login_sort` of someone who never logged in: before every real login (the directory's).
NEVER_LOGGED_IN = "1970-01-01T00:00:00Z"


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class ProjectedUser(Base):
    """A user as the last snapshot showed them. The columns named like `ExportRow`'s
    fields are what an export writes; the others are what the list's filters and sort
    orders read (the same expressions as the directory's columns of those names)."""

    __tablename__ = "export_users"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)

    first_name: Mapped[str] = mapped_column(Text)
    last_name: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(10))
    role: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    groups: Mapped[list[str]] = mapped_column(ARRAY(Text))
    invitation_state: Mapped[str] = mapped_column(String(20))
    invitation_first_sent_at: Mapped[datetime | None]
    invitation_last_sent_at: Mapped[datetime | None]
    email_state: Mapped[str] = mapped_column(String(20))
    bounce_kind: Mapped[str | None] = mapped_column(String(20))
    email_reason: Mapped[str | None] = mapped_column(Text)
    email_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    deactivated_at: Mapped[datetime | None]
    deactivated_by: Mapped[uuid.UUID | None]
    deactivation_reason: Mapped[str | None] = mapped_column(Text)
    invitation_expires_at: Mapped[datetime | None]
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONB)  # field key -> value

    group_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    email_normalized: Mapped[str] = mapped_column(Text)
    sort_name: Mapped[str] = mapped_column(
        Text, Computed("lower(last_name || ' ' || first_name)", persisted=True)
    )
    search_text: Mapped[str] = mapped_column(
        Text,
        Computed(
            "lower(first_name || ' ' || last_name) || ' ' || email_normalized", persisted=True
        ),
    )
    last_login_sort: Mapped[datetime] = mapped_column(
        Computed(f"coalesce(last_login_at, '{NEVER_LOGGED_IN}'::timestamptz)", persisted=True),
    )

    __table_args__ = (
        Index("ix_export_users_sort_name", "tenant_id", "sort_name", "id"),
        Index("ix_export_users_email", "tenant_id", "email_normalized", "id"),
        Index("ix_export_users_created", "tenant_id", "created_at", "id"),
        Index("ix_export_users_last_login", "tenant_id", "last_login_sort", "id"),
    )


class ProjectedField(Base):
    """A custom field of a tenant, as the directory defines it (`custom_field.*`, newest
    version wins; a deleted one stays as a tombstone), or, until its definition arrives,
    as the users' snapshots name it (`version` 0)."""

    __tablename__ = "export_fields"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    seen_at: Mapped[datetime]  # the `updated_at` of the newest snapshot that showed it
    choices: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    version: Mapped[int] = mapped_column(BigInteger, server_default="0")
    deleted: Mapped[bool] = mapped_column(Boolean, server_default="false")


class Job(Base):
    __tablename__ = "export_jobs"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    requested_by: Mapped[uuid.UUID]
    format: Mapped[str] = mapped_column(String(10))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    sort: Mapped[str] = mapped_column(String(40))
    delimiter: Mapped[str] = mapped_column(String(1))
    language: Mapped[str | None] = mapped_column(String(5))
    state: Mapped[JobState] = mapped_column(stored_as_text(JobState))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    rows_expected: Mapped[int | None] = mapped_column(BigInteger)
    rows_written: Mapped[int] = mapped_column(BigInteger, server_default="0")
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(Text)
    storage_key: Mapped[str | None] = mapped_column(Text)
    lease_token: Mapped[uuid.UUID | None]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_export_jobs_recent", "tenant_id", "requested_by", "created_at"),
        Index(
            "ix_export_jobs_waiting",
            "created_at",
            postgresql_where=text("state IN ('queued', 'running')"),
        ),
        Index("ix_export_jobs_expiring", "expires_at", postgresql_where=text("state = 'done'")),
    )
