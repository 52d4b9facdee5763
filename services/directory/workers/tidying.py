"""Housekeeping: failed-login and reset-request counts that no longer matter are deleted."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

from services.directory.usecases.forget_login_failures import forget_login_failures
from shared.unit_of_work import UnitOfWork
from shared.workers import Worker, periodic

EVERY = timedelta(hours=1)


def login_failures_tidier(
    units: Callable[[], AbstractAsyncContextManager[UnitOfWork]],
    reset_after: timedelta,
    *,
    service: str,
) -> Worker:
    async def tidy() -> None:
        async with units() as uow:
            await forget_login_failures(uow, datetime.now(UTC), reset_after)

    return Worker(
        "login-failures-tidier", periodic(tidy), service=service, idle_seconds=EVERY.total_seconds()
    )
