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
        self._alone = 0  # items left to run one at a time after a failed batch
        self.worker = Worker("bulk-jobs", self.step, service=service, idle_seconds=idle_seconds)
        self.tidier = Worker(
            "bulk-jobs-expiry", periodic(self.expire), service=service, idle_seconds=600
        )

    async def step(self) -> bool:
        size = 1 if self._alone else self._settings.batch_size
        try:
            async with self._units() as uow:
                more = await run_next_batch(uow, self._settings, size)
        except (DomainError, DBAPIError) as error:
            if isinstance(error, DBAPIError) and is_transient(error):
                raise
            return await self._failed(size, error)
        self._alone = max(0, self._alone - 1)
        return more

    async def _failed(self, size: int, error: Exception) -> bool:
        if size > 1:
            self._alone = size
            return True
        log.info("job item failed alone; recorded", error=repr(error))
        async with self._units() as uow:
            await fail_next_item(uow, self._settings, _reason(error))
        self._alone = max(0, self._alone - 1)
        return True

    async def expire(self) -> None:
        async with self._units() as uow:
            await expire_old(uow)


def _reason(error: Exception) -> str:
    if isinstance(error, DomainError):
        return error.detail
    return "The database refused this change: " + str(getattr(error, "orig", error))[:300]
