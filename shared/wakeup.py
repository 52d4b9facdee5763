"""Waking a loop when PostgreSQL says there is work (LISTEN/NOTIFY), else on a short poll.

Used by the outbox relay and by any worker draining a queue table; the table's trigger
(`shared.migrations.create_notify_trigger`) sends the NOTIFY when a transaction commits."""

import asyncio
import contextlib

import asyncpg

from shared.logging import get_logger

log = get_logger(__name__)


class Wakeup:
    def __init__(self, dsn: str, channel: str, poll_seconds: float) -> None:
        self._dsn = dsn
        self._channel = channel
        self._poll_seconds = poll_seconds
        self._event = asyncio.Event()
        self._lost = False
        self._users = 0
        self._listener: asyncio.Task[None] | None = None

    def acquire(self) -> None:
        """Start listening on the first user (several workers may share one wakeup)."""
        self._users += 1
        if self._listener is None:
            self._listener = asyncio.create_task(
                self.listen_forever(), name=f"listen-{self._channel}"
            )

    async def release(self) -> None:
        """Stop listening when the last user is gone."""
        self._users -= 1
        if self._users <= 0 and self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    def set(self) -> None:
        self._event.set()

    async def wait(self) -> bool:
        """Until notified or the poll interval passes; True when notified."""
        notified = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), self._poll_seconds)
            notified = True
        self._event.clear()
        return notified

    async def listen_forever(self) -> None:
        """The poll keeps things moving while the listening connection is down; the loss
        is logged once per outage, not once per reconnection attempt."""
        self._lost = False
        while True:
            try:
                await self._listen()
            except Exception as error:
                if not self._lost:
                    log.warning(
                        "listener lost, reconnecting", channel=self._channel, error=repr(error)
                    )
                self._lost = True
            await asyncio.sleep(self._poll_seconds)

    async def _listen(self) -> None:
        # A direct connection, never through PgBouncer's transaction mode: LISTEN lives
        # as long as the session.
        connection = await asyncpg.connect(self._dsn)
        closed = asyncio.Event()
        connection.add_termination_listener(lambda _: closed.set())
        try:
            await connection.add_listener(self._channel, lambda *_: self.set())
            if self._lost:
                log.info("listener back", channel=self._channel)
                self._lost = False
            self.set()  # catch up on anything queued while not listening
            await closed.wait()
        finally:
            await connection.close()
