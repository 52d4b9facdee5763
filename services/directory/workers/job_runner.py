"""The job runner: imports' applies and bulk actions, a batch per pass of the shared
worker loop. A batch that fails as a whole (one user changed meanwhile, an address taken
since the preview) is tried again one item at a time, so that only the item at fault is
recorded as failed and the others are done."""

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from sqlalchemy.exc import DBAPIError

from services.directory.usecases.jobs.run_jobs import (
    RunnerSettings,
    expire_old,
    fail_job,
    fail_next_item,
    run_next_batch,
)
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.db import is_transient
from shared.errors import DomainError
from shared.logging import get_logger
from shared.workers import Worker, periodic

log = get_logger(__name__)
Units = Callable[[], AbstractAsyncContextManager[DirectoryUnitOfWork]]


class JobRunner:
    def __init__(
        self,
        units: Units,
        *,
        lease: timedelta,
        batch_size: int,
        idle_seconds: float,
        service: str,
        smtputf8: bool = False,
    ) -> None:
        self._units = units
        self._settings = RunnerSettings(uuid.uuid4(), lease, batch_size, smtputf8)
        # After a batch failed as a whole: its job, and how many of its items to run alone.
        # Tied to the job: the next job (another tenant's, say) runs in whole batches.
        self._alone: tuple[uuid.UUID, int] | None = None
        self._batch: tuple[uuid.UUID, int] | None = None  # the job and size under way
        self._claimed: uuid.UUID | None = None  # the job of the pass under way
        self.worker = Worker("bulk-jobs", self.step, service=service, idle_seconds=idle_seconds)
        self.tidier = Worker(
            "bulk-jobs-expiry", periodic(self.expire), service=service, idle_seconds=600
        )

    async def step(self) -> bool:
        self._batch = self._claimed = None
        try:
            async with self._units() as uow:
                more = await run_next_batch(uow, self._settings, self._batch_size, self._claim)
        except (DomainError, DBAPIError) as error:
            if isinstance(error, DBAPIError) and is_transient(error):
                raise
            return await self._failed(error)
        self._one_done()
        return more

    def _claim(self, job_id: uuid.UUID) -> None:
        self._claimed = job_id

    def _batch_size(self, job_id: uuid.UUID) -> int:
        alone = self._alone is not None and self._alone[0] == job_id
        size = 1 if alone else self._settings.batch_size
        self._batch = (job_id, size)
        return size

    async def _failed(self, error: Exception) -> bool:
        if self._batch is None:
            if self._claimed is None:
                raise error  # no job taken yet: nothing of a job's to blame
            # The job's start failed, and would fail the same way each time it is tried
            # (a transient database error was raised before and is tried again).
            log.warning("job could not start; failed", job_id=str(self._claimed), error=repr(error))
            async with self._units() as uow:
                await fail_job(uow, self._settings, self._claimed, _reason(error))
            return True
        job_id, size = self._batch
        if size > 1:
            self._alone = (job_id, size)
            return True
        log.info("job item failed alone; recorded", error=repr(error))
        async with self._units() as uow:
            await fail_next_item(uow, self._settings, _reason(error))
        self._one_done()
        return True

    def _one_done(self) -> None:
        if self._alone is None or self._batch != (self._alone[0], 1):
            return
        job_id, left = self._alone
        self._alone = (job_id, left - 1) if left > 1 else None

    async def expire(self) -> None:
        async with self._units() as uow:
            await expire_old(uow)


def _reason(error: Exception) -> str:
    if isinstance(error, DomainError):
        return error.detail
    return "The database refused this change: " + str(getattr(error, "orig", error))[:300]
