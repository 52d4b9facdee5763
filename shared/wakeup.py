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
        """The poll keeps things moving while the listening connection is down."""
        while True:
            try:
                await self._listen()
            except Exception as error:
                log.warning("listener lost, reconnecting", channel=self._channel, error=repr(error))
            await asyncio.sleep(self._poll_seconds)

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self._dsn)
        closed = asyncio.Event()
        connection.add_termination_listener(lambda _: closed.set())
        try:
            await connection.add_listener(self._channel, lambda *_: self.set())
            self.set()  # catch up on anything queued while not listening
            await closed.wait()
        finally:
            await connection.close()
