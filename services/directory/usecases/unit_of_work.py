"""The directory's unit of work: the shared one (one transaction, its events written to the
outbox with the change), plus the `user.*` events, collected rather than written by hand.

A use case that changes a user says so (`uow.user_changed(user, UserChange.ACTIVATED)`);
at commit every changed user's snapshot is built once, after the last flush (so it carries
the version the database gave the row), and its event is emitted. Other events are
emitted as they happen (`uow.emit(new_event(...))`).
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from services.directory.db.models import User
from services.directory.db.snapshots import (
    SnapshotLookups,
    snapshot_lookups,
    snapshots_of,
)
from services.directory.domain.users import UserChange, announced_change
from shared.contracts import SerializedEvent, new_event, serialized_event
from shared.errors import ChangedMeanwhile, Conflict
from shared.unit_of_work import UnitOfWork

SOURCE = "/services/directory"
# An ORM object, a row as written, or a row as a batch's statements will write it.
ChangedUser = TypeVar("ChangedUser", User, Row[Any] | SimpleNamespace)
CHANGED_MEANWHILE = "The user was changed meanwhile; try again."
WrittenReports = list[tuple[Row[Any] | SimpleNamespace, UserChange]]


class DirectoryUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._changed: dict[tuple[uuid.UUID, uuid.UUID], tuple[User, UserChange]] = {}
        self._written: WrittenReports = []

    def user_changed(
        self, user: User, change: UserChange = UserChange.UPDATED, *, at: datetime | None = None
    ) -> None:
        """`user` changed (`updated_at` is set to `at`, now by default): its `user.*` event
        goes out with the commit, one per user however often it is reported."""
        user.updated_at = at or datetime.now(UTC)
        key = (user.tenant_id, user.id)
        known = self._changed.get(key)
        self._changed[key] = (user, change if known is None else announced_change(known[1], change))

    def users_written(
        self, rows: Sequence[Row[Any]] | Sequence[SimpleNamespace], change: UserChange
    ) -> None:
        """Users a batch wrote with SQL of its own (rows as written, `updated_at` and
        version included; no ORM object of them in the session), or will write before the
        commit (`bulk.as_written`): their `user.*` events go out with the commit, built from
        the rows as plain data (a bulk job's thousands of snapshots, not validated again).
        One report per user and transaction."""
        self._written.extend((row, change) for row in rows)

    async def write_announcing(self, *writes: Callable[[], Awaitable[None]]) -> None:
        """Run a batch's statements (`writes`, one after the other on this session) while
        the events of the users written so far are built: their lookups read first, then
        the snapshots and their JSON made in Python as the database works on the
        statements, where built at the commit they waited for them (~100 ms of a 2,000-user
        batch's ~750). The events still go to the outbox with the commit."""
        prepared = await self._written_lookups()
        writing = asyncio.ensure_future(_one_after_another(writes))
        try:
            events = [event async for event in _written_events(prepared)]
        except BaseException:
            await asyncio.wait([writing])  # the session is the writes' until they end
            if not writing.cancelled():
                writing.exception()  # retrieved: the first error is the one raised
            raise
        await writing
        self.emit(*events)

    async def flush(self, *, conflict: str | None = None) -> None:
        """Write the changes so far. A user row another transaction changed since it was
        read is `ChangedMeanwhile` (an HTTP caller is told to try again, a message is
        retried); a constraint the change breaks is a Conflict when `conflict` says what
        that means (a unique e-mail address, a group name)."""
        try:
            await self.session.flush()
        except StaleDataError as error:
            raise ChangedMeanwhile(CHANGED_MEANWHILE) from error
        except IntegrityError as error:
            if conflict is None:
                raise
            raise Conflict(conflict) from error

    async def collect_events(self) -> None:
        if self._written:
            await self._emit_written()
        if not self._changed:
            return
        await self.flush()
        changed, self._changed = list(self._changed.values()), {}
        for of_tenant in _per_tenant(changed):
            snapshots = await snapshots_of(self.session, [user for user, _ in of_tenant])
            self.emit(
                *(
                    new_event(
                        how.value,
                        source=SOURCE,
                        tenant_id=snapshot.tenant_id,
                        subject=str(snapshot.id),
                        version=snapshot.version,
                        data=snapshot,
                    )
                    for (_, how), snapshot in zip(of_tenant, snapshots, strict=True)
                )
            )

    async def _emit_written(self) -> None:
        prepared = await self._written_lookups()
        self.emit(*[event async for event in _written_events(prepared)])

    async def _written_lookups(self) -> list[tuple[WrittenReports, SnapshotLookups]]:
        """The users written so far, taken, a tenant's at a time with what their snapshots
        read besides their rows."""
        written, self._written = self._written, []
        return [
            (of_tenant, await snapshot_lookups(self.session, [row for row, _ in of_tenant]))
            for of_tenant in _per_tenant(written)
        ]


# Users whose events are built between two looks at the batch's statements: a statement
# that ended waits at most this long (~5 ms) for the next to be sent.
EVENTS_BETWEEN_YIELDS = 100


async def _one_after_another(writes: Sequence[Callable[[], Awaitable[None]]]) -> None:
    for write in writes:
        await write()


async def _written_events(
    prepared: Sequence[tuple[WrittenReports, SnapshotLookups]],
) -> AsyncIterator[SerializedEvent]:
    for of_tenant, lookups in prepared:
        for place, (row, how) in enumerate(of_tenant, start=1):
            yield _written_event(row, how, lookups.data(row))
            if place % EVENTS_BETWEEN_YIELDS == 0:
                await asyncio.sleep(0)


def _written_event(
    row: Row[Any] | SimpleNamespace, how: UserChange, snapshot: dict[str, Any]
) -> SerializedEvent:
    return serialized_event(
        how.value,
        source=SOURCE,
        tenant_id=row.tenant_id,
        subject=str(row.id),
        version=row.version,
        data=snapshot,
    )


def _per_tenant(
    reports: Sequence[tuple[ChangedUser, UserChange]],
) -> Iterator[list[tuple[ChangedUser, UserChange]]]:
    """The users' change reports, a tenant's at a time (a tenant's snapshots are read
    together), tenants in the order they first appear."""
    by_tenant: dict[uuid.UUID, list[tuple[ChangedUser, UserChange]]] = {}
    for user, how in reports:
        by_tenant.setdefault(user.tenant_id, []).append((user, how))
    yield from by_tenant.values()
