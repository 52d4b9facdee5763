"""A worker builds one claimed job: the matching users read from the projection, written
to a file in the work directory, stored whole, then the job is marked done and
`export.completed` published. Meanwhile a heartbeat renews the claim and records the
progress; a worker that loses its claim (it stalled past the lease, and another took the
job) stops and leaves nothing behind. A failed build is queued again, or failed with the
reason once it has been tried `max_attempts` times."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from services.exports.adapters.files.work_dir import job_work_dir, remove_leftovers
from services.exports.adapters.storage import FileStorage
from services.exports.db import jobs as jobs_db
from services.exports.db import users as users_db
from services.exports.domain.columns import Column, CustomFieldColumn, FieldType, export_columns
from services.exports.domain.filters import definitions, read_filters
from services.exports.domain.jobs import ClaimedJob, JobState, storage_key
from services.exports.metrics import EXPORTS_FINISHED
from services.exports.usecases.claim_export import UnitsOfWork, claim_export
from services.exports.usecases.job_events import completed_event, failed_event
from services.exports.usecases.write_file import RowSource, write_export_file
from shared.errors import DomainError
from shared.logging import get_logger

log = get_logger(__name__)
T = TypeVar("T")
SERVICE = "exports"


@dataclass(frozen=True)
class BuildSettings:
    storage: FileStorage
    open_rows: Callable[[], Awaitable[RowSource]]  # a connection to the projection, for one job
    lease: timedelta
    ttl: timedelta
    zone: ZoneInfo
    max_attempts: int
    work_dir: Path | None = None


class LostClaim(Exception):
    """Another worker holds the job now: this one stops and writes nothing."""


async def build_next_export(units: UnitsOfWork, settings: BuildSettings) -> bool:
    """Build the oldest waiting job, if any; whether there was one."""
    job = await claim_export(units, settings.lease, settings.max_attempts)
    if job is None:
        return False
    try:
        await _build(units, settings, job)
    except LostClaim:
        log.warning("export claim lost to another worker", job_id=str(job.id))
    except DomainError as error:  # the request no longer makes sense: trying again won't help
        await _failed(units, job, error.detail, final=True)
    except Exception as error:
        log.warning("export failed", job_id=str(job.id), attempt=job.attempts, exc_info=error)
        reason = f"{type(error).__name__}: {error}"[:500]
        await _failed(units, job, reason, final=job.attempts >= settings.max_attempts)
    return True


async def _build(units: UnitsOfWork, settings: BuildSettings, job: ClaimedJob) -> None:
    columns, field_values = await _prepare(units, job)
    # A job taken again after its worker was killed: that attempt's directory is left here.
    if left := await asyncio.to_thread(remove_leftovers, settings.work_dir, job.id):
        log.info("removed an earlier attempt's files", job_id=str(job.id), directories=left)
    with job_work_dir(settings.work_dir, job.id) as work:
        path = work / f"export.{job.format}"
        heartbeat = Heartbeat(units, settings.lease, job)
        rows = await settings.open_rows()
        try:
            written = await heartbeat.while_running(
                write_export_file(rows, job, columns, field_values, settings.zone, path, heartbeat)
            )
        finally:
            await rows.close()
        key = storage_key(job)
        size = await settings.storage.put(key, path)
    if not await _done(units, settings, job, written, size, key):
        await settings.storage.delete(key)
        raise LostClaim
    EXPORTS_FINISHED.labels(SERVICE, "done").inc()


async def _prepare(
    units: UnitsOfWork, job: ClaimedJob
) -> tuple[tuple[Column, ...], dict[str, Any]]:
    async with units() as uow:
        fields = await users_db.tenant_fields(uow.session, job.tenant_id)
    filters = read_filters(job.filters)
    field_values = filters.custom_field_values(definitions(fields))
    custom = [CustomFieldColumn(f.key, f.label, FieldType(f.type)) for f in fields]
    return export_columns(custom), field_values


async def _done(
    units: UnitsOfWork, settings: BuildSettings, job: ClaimedJob, rows: int, size: int, key: str
) -> bool:
    now = datetime.now(UTC)
    async with units() as uow:
        held = await jobs_db.finish(
            uow.session,
            job.tenant_id,
            job.id,
            job.token,
            state=JobState.DONE,
            rows_written=rows,
            row_count=rows,
            size_bytes=size,
            storage_key=key,
            error=None,
            finished_at=now,
            expires_at=now + settings.ttl,
        )
        if held:
            stored = await jobs_db.get_job(uow.session, job.tenant_id, job.id)
            assert stored is not None
            uow.emit(completed_event(stored, rows, now))
    return held


async def _failed(units: UnitsOfWork, job: ClaimedJob, reason: str, *, final: bool) -> None:
    """Queued again (the error kept), or failed for good with `export.failed`."""
    now = datetime.now(UTC)
    async with units() as uow:
        state = JobState.FAILED if final else JobState.QUEUED
        values = {"state": state, "error": reason, "finished_at": now if final else None}
        held = await jobs_db.finish(uow.session, job.tenant_id, job.id, job.token, **values)
        EXPORTS_FINISHED.labels(SERVICE, "failed" if final else "retried").inc()
        if held and final:
            stored = await jobs_db.get_job(uow.session, job.tenant_id, job.id)
            assert stored is not None
            uow.emit(failed_event(stored, reason, now))


class Heartbeat:
    """Renews the claim and records the progress every second (or third of the lease, if
    shorter); cancels the build when the claim is lost."""

    def __init__(self, units: UnitsOfWork, lease: timedelta, job: ClaimedJob) -> None:
        self.units, self.lease, self.job = units, lease, job
        self.rows_written = 0
        self.rows_expected: int | None = None
        self.lost = False

    def progress(self, rows: int) -> None:
        self.rows_written = rows

    async def while_running(self, work: Awaitable[T]) -> T:
        task = asyncio.ensure_future(work)
        beat = asyncio.create_task(self._beat(task))
        try:
            return await task
        except asyncio.CancelledError:
            if self.lost:
                raise LostClaim from None
            raise
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def renew(self) -> bool:
        progress: dict[str, int] = {"rows_written": self.rows_written}
        if self.rows_expected is not None:
            progress["rows_expected"] = self.rows_expected
        async with self.units() as uow:
            return await jobs_db.renew(
                uow.session,
                self.job.tenant_id,
                self.job.id,
                self.job.token,
                datetime.now(UTC) + self.lease,
                **progress,
            )

    async def _beat(self, task: asyncio.Future[Any]) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.2)
        while not task.done():
            await asyncio.sleep(min(interval, 1.0))
            if not await self.renew():
                self.lost = True
                task.cancel()
                return
