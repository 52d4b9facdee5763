"""The unit of work a use case runs in: one transaction, and the events the work causes.

A use case emits events as it goes (`uow.emit(event)`); they are written to the outbox
in the same transaction, just before it commits, so the change and its events are kept
or lost together. Nothing but the request or message boundary commits.

A service that derives its events from what changed (the directory builds one user
snapshot per changed user) subclasses it and overrides `collect_events`.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import CloudEvent, SerializedEvent
from shared.db import Database
from shared.messaging.outbox import enqueue


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._events: list[CloudEvent[Any] | SerializedEvent] = []

    def emit(self, *events: CloudEvent[Any] | SerializedEvent) -> None:
        self._events.extend(events)

    @property
    def emitted(self) -> tuple[CloudEvent[Any] | SerializedEvent, ...]:
        return tuple(self._events)

    async def collect_events(self) -> None:
        """Called once before commit: a subclass emits what it derives from the changes."""

    async def write_events(self) -> None:
        await self.collect_events()
        events, self._events = self._events, []
        await enqueue(self.session, *events)


UnitOfWorkT = TypeVar("UnitOfWorkT", bound=UnitOfWork)
UnitOfWorkFactory = Callable[[AsyncSession], UnitOfWork]


@asynccontextmanager
async def unit_of_work(
    db: Database, factory: Callable[[AsyncSession], UnitOfWorkT]
) -> AsyncIterator[UnitOfWorkT]:
    """Committed (with its events) when the block ends normally, rolled back on error."""
    async with db.transaction() as session:
        uow = factory(session)
        yield uow
        await uow.write_events()
