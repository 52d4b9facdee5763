"""Group commit: requests that arrive together share one transaction.

Each request waits for the commit of the transaction that holds it before it is answered,
so nothing confirmed to a provider can be lost. Under load the fixed cost of a transaction
(BEGIN, the lookups, the statements, COMMIT: ~2 ms of CPU with SQLAlchemy) is paid once per
group instead of once per request; unloaded, a request finds a free transaction at once
and waits for nothing.

A group that fails is tried again one item at a time, each in its own transaction, so one
item the database refuses fails only its own request.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Generic, TypeVar

from shared.unit_of_work import UnitOfWork

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
GroupWork = Callable[[UnitOfWork, Sequence[ItemT]], Awaitable[list[ResultT]]]


class GroupCommit(Generic[ItemT, ResultT]):
    """`submit` an item; it is done by `work` with whatever else is waiting, in one unit
    of work, at most `concurrency` of them at once (each holds a database connection)."""

    def __init__(
        self,
        unit_of_work: UnitOfWorkFactory,
        work: GroupWork[ItemT, ResultT],
        *,
        concurrency: int = 4,
        max_group: int = 64,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._work = work
        self._concurrency = concurrency
        self._max_group = max_group
        self._waiting: list[tuple[ItemT, asyncio.Future[ResultT]]] = []
        self._running: set[asyncio.Task[None]] = set()

    async def submit(self, item: ItemT) -> ResultT:
        """The item's result once its transaction has committed; the work's error if not."""
        future: asyncio.Future[ResultT] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if len(self._running) < self._concurrency:
            task = asyncio.create_task(self._drain(), name="group-commit")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            group = self._waiting[: self._max_group]
            del self._waiting[: self._max_group]
            await self._commit(group)

    async def _commit(self, group: list[tuple[ItemT, asyncio.Future[ResultT]]]) -> None:
        try:
            async with self._unit_of_work() as uow:
                results = await self._work(uow, [item for item, _ in group])
        except Exception as error:
            if len(group) > 1:
                for one in group:
                    await self._commit([one])
            else:
                _fail(group, error)
            return
        except BaseException as error:  # cancelled (shutting down): no request waits forever
            _fail(group, error)
            raise
        for (_, future), result in zip(group, results, strict=True):
            if not future.done():  # done: its request was cancelled (the client went away)
                future.set_result(result)


def _fail(group: Sequence[tuple[object, "asyncio.Future[ResultT]"]], error: BaseException) -> None:
    for _, future in group:
        if not future.done():
            future.set_exception(error)
