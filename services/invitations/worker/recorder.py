"""Group commit of sending outcomes: what the workers report while one commit is under
way goes into the next one. Each worker still waits until its own outcome is committed
before it sends another e-mail, so a crash can catch at most one e-mail per worker
between the SMTP server's "250 OK" and the record; but the commits (and their fsyncs)
are shared, which is most of what recording costs."""

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.domain.retry import SendFailure
from services.invitations.usecases import sending
from services.invitations.usecases.sending import MailJob, SendingRules
from shared.db import Database
from shared.logging import get_logger

log = get_logger(__name__)

RETRY_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0


@dataclass(frozen=True)
class Outcome:
    job: MailJob
    failure: SendFailure | None  # None: the server accepted the e-mail
    at: datetime
    done: asyncio.Future[None]


class OutcomeRecorder:
    def __init__(self, db: Database, rules: SendingRules) -> None:
        self._db = db
        self._rules = rules
        self._waiting: list[Outcome] = []
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sending-recorder")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def record(self, job: MailJob, failure: SendFailure | None) -> None:
        """Returns once the outcome is committed."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append(Outcome(job, failure, datetime.now(UTC), done))
        self._arrived.set()
        await done

    async def _run(self) -> None:
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            batch, self._waiting = self._waiting, []
            if batch:
                await self._commit(batch)
                for outcome in batch:
                    outcome.done.set_result(None)

    async def _commit(self, batch: list[Outcome]) -> None:
        """Giving up would leave the claims to expire and the e-mails to go out again:
        while the database is away, keep trying."""
        delay = RETRY_SECONDS
        while True:
            try:
                async with self._db.transaction() as session:
                    await self._apply(session, batch)
                return
            except Exception:
                log.exception("could not record sending outcomes; retrying", delay=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)

    async def _apply(self, session: AsyncSession, batch: list[Outcome]) -> None:
        await sending.record_sent(session, [(o.job, o.at) for o in batch if o.failure is None])
        for outcome in batch:
            if outcome.failure is not None:
                await sending.record_failure(
                    session, outcome.job, outcome.failure, self._rules, outcome.at
                )
