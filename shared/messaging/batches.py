"""Messages that arrive together, applied in one transaction (a consumer's batch mode).

Each message still has its own inbox record, is acknowledged on its own once the batch
committed, and keeps its own fate: when anything in a batch fails, the batch is rolled
back and each of its messages is applied again alone, so a message that can't succeed
is retried or parked by itself, with its own reason, and the others go through.

Batches form the way a group commit does, with no timer: the first message to arrive
applies what is waiting; while that commit is under way the next messages queue up, and
the first of them applies them (up to a batch's size) as soon as it commits. A message
arriving alone is applied at once.
"""

import asyncio
import itertools
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from structlog.contextvars import bound_contextvars

from shared.contracts import CloudEvent
from shared.db import Database
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWorkFactory, unit_of_work

log = get_logger(__name__)

EventHandler = Callable[[Any, CloudEvent[Any]], Awaitable[None]]
"""`async def on_x(uow, event)`: parse what it needs from the event, call one use case."""


ManyHandler = Callable[[Any, Sequence[CloudEvent[Any]]], Awaitable[None]]


@dataclass(frozen=True)
class ManyAtOnce:
    """A handler that can also apply several events at once: `many(uow, events)`, in the
    batch mode, for events of the batch that arrived one after the other (in their
    order); `one(uow, event)` otherwise. For handlers whose statements, written for many
    rows, cost little more than for one."""

    one: EventHandler
    many: ManyHandler

    async def __call__(self, uow: Any, event: CloudEvent[Any]) -> None:
        await self.one(uow, event)


class BatchFailed(Exception):
    """The message's batch was rolled back: apply the message again on its own."""


@dataclass(eq=False)  # each one is itself: compared by identity
class _Pending:
    event: CloudEvent[Any]
    handler: EventHandler
    done: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    # Set when the message is first in line and no one is applying: it applies what waits.
    lead: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


# Built once: it runs for every batch.
_CLAIM = text(
    "INSERT INTO processed_messages (consumer, message_id)"
    " SELECT :consumer, unnest(CAST(:ids AS text[]))"
    " ON CONFLICT DO NOTHING RETURNING message_id"
)


async def claim_messages(
    session: AsyncSession, consumer: str, message_ids: Sequence[str]
) -> set[str]:
    """Record, in one statement, that `consumer` processed these messages; the ids it had
    not processed before."""
    result = await session.execute(_CLAIM, {"consumer": consumer, "ids": list(message_ids)})
    return set(result.scalars())


class BatchApplier:
    """Applies the events of one queue in batches of at most `max_size`."""

    def __init__(
        self, consumer: str, db: Database, unit_of_work_factory: UnitOfWorkFactory, max_size: int
    ) -> None:
        self._consumer = consumer
        self._db = db
        self._uow_factory = unit_of_work_factory
        self._max_size = max_size
        self._waiting: list[_Pending] = []
        self._leading = False

    async def apply(self, event: CloudEvent[Any], handler: EventHandler) -> bool:
        """True once applied with its batch, False for a message processed before. Raises
        `BatchFailed` when its batch failed (nothing of the batch was kept)."""
        pending = _Pending(event, handler)
        self._waiting.append(pending)
        if not self._leading:
            await self._lead(pending)
            return await pending.done
        # Applied by the one leading, or leads itself once first in line. (Waiting on a
        # lock instead, each message applied in a batch took the lock in its turn, one
        # event-loop pass each, before the next batch could start.)
        try:
            await asyncio.wait((pending.done, pending.lead), return_when=FIRST_COMPLETED)
        except BaseException:  # cancelled: out of the line, and the lead passed on
            if pending in self._waiting:
                self._waiting.remove(pending)
            if pending.lead.done() and not pending.done.done():
                self._leading = False
                self._hand_over()
            raise
        if not pending.done.done():
            await self._lead(pending)
        return await pending.done

    async def _lead(self, pending: _Pending) -> None:
        """Apply the batches at the head of the line, in order, until `pending`'s is done;
        then the next one in line leads."""
        self._leading = True
        try:
            while not pending.done.done():
                batch = self._waiting[: self._max_size]
                del self._waiting[: self._max_size]
                try:
                    await self._apply_batch(batch)
                except BaseException:  # cancelled: the others go to the next leader
                    self._waiting[:0] = [p for p in batch if p is not pending]
                    raise
        finally:
            self._leading = False
            self._hand_over()

    def _hand_over(self) -> None:
        if self._waiting:
            self._leading = True  # no newcomer leads meanwhile
            self._waiting[0].lead.set_result(None)

    async def _apply_batch(self, batch: list[_Pending]) -> None:
        try:
            applied = await self._apply_all(batch)
        except Exception as error:
            if len(batch) > 1:
                log.info("batch failed; its messages are applied one by one", error=repr(error))
            for pending in batch:
                pending.done.set_exception(BatchFailed(repr(error)))
            return
        for pending in batch:
            pending.done.set_result(id(pending) in applied)

    async def _apply_all(self, batch: list[_Pending]) -> set[int]:
        applied: list[_Pending] = []
        async with unit_of_work(self._db, self._uow_factory) as uow:
            fresh = await claim_messages(uow.session, self._consumer, [p.event.id for p in batch])
            for pending in batch:
                if pending.event.id in fresh:  # else processed before, or twice in this batch
                    fresh.discard(pending.event.id)
                    applied.append(pending)
            for handler, run in itertools.groupby(applied, key=lambda p: p.handler):
                events = [pending.event for pending in run]
                if isinstance(handler, ManyAtOnce) and len(events) > 1:
                    await handler.many(uow, events)
                    continue
                for event in events:
                    with bound_contextvars(event_type=event.type, tenant_id=str(event.tenantid)):
                        await handler(uow, event)
        return {id(pending) for pending in applied}
