"""The sender: a few workers, each claiming due e-mails (FOR UPDATE SKIP LOCKED, so any
number of replicas can run) and sending them over its own SMTP connection; each outcome
is committed (see recorder) before the worker sends the next one."""

import asyncio
import contextlib
from datetime import UTC, datetime

from services.invitations.domain.retry import SendFailure
from services.invitations.mail.smtp import SmtpConfig, SmtpSession
from services.invitations.usecases import sending
from services.invitations.usecases.sending import MailJob, SendingRules
from services.invitations.worker.compose import MailComposer
from services.invitations.worker.rate import RateLimiter
from services.invitations.worker.recorder import OutcomeRecorder
from shared.db import Database
from shared.logging import get_logger
from shared.wakeup import Wakeup

log = get_logger(__name__)


class Sender:
    def __init__(
        self,
        db: Database,
        *,
        smtp: SmtpConfig,
        composer: MailComposer,
        rules: SendingRules,
        wakeup: Wakeup,
        workers: int,
        batch_size: int,
        rate: RateLimiter,
    ) -> None:
        self._recorder = OutcomeRecorder(db, rules)
        self._db = db
        self._smtp = smtp
        self._composer = composer
        self._rules = rules
        self._wakeup = wakeup
        self._workers = workers
        self._batch_size = batch_size
        self._rate = rate
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._recorder.start()
        self._tasks = [asyncio.create_task(self._wakeup.listen_forever(), name="sender-listen")]
        self._tasks += [
            asyncio.create_task(self._work(), name=f"sender-{n}") for n in range(self._workers)
        ]

    async def stop(self, grace_seconds: float = 15.0) -> None:
        """Let the workers finish the e-mails they hold, then end."""
        self._stopping.set()
        self._wakeup.set()
        workers = self._tasks[1:]
        if workers:
            await asyncio.wait(workers, timeout=grace_seconds)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._recorder.stop()
        await self._db.dispose()  # the sender's own connections (see app.py)

    async def _work(self) -> None:
        async with SmtpSession(self._smtp) as smtp:
            while not self._stopping.is_set():
                handled = await self._pass_safely(smtp)
                if handled < self._batch_size and not self._stopping.is_set():
                    await smtp.close()  # idle: don't hold a connection the server would drop
                    await self._wakeup.wait()

    async def _pass_safely(self, smtp: SmtpSession) -> int:
        try:
            return await self.send_due(smtp)
        except Exception:
            log.exception("sending pass failed")
            return 0

    async def send_due(self, smtp: SmtpSession) -> int:
        """Claim one batch, send it, record each outcome. Returns how many were claimed."""
        async with self._db.transaction() as session:
            jobs = await sending.claim_jobs(
                session, self._rules, datetime.now(UTC), self._batch_size
            )
        unreachable: SendFailure | None = None
        for index, job in enumerate(jobs):
            if self._stopping.is_set():  # shutting down: hand the rest back at once
                await self._release(jobs[index:])
                break
            if unreachable is None:
                await self._rate.wait()
                failure = await self._deliver(smtp, job)
                unreachable = failure if failure and failure.unreachable else None
            else:  # don't wait out one more timeout per e-mail: they count as tried
                failure = unreachable
            await self._recorder.record(job, failure)
        return len(jobs)

    async def _release(self, jobs: list[MailJob]) -> None:
        async with self._db.transaction() as session:
            await sending.release(session, jobs)

    async def _deliver(self, smtp: SmtpSession, job: MailJob) -> SendFailure | None:
        try:
            message = self._composer.compose(job)
        except (ValueError, IndexError, LookupError) as error:
            return SendFailure(f"the e-mail could not be written: {error}", permanent=True)
        try:
            return await smtp.send(message)
        except Exception as error:  # never leave a claim hanging on an unexpected error
            log.exception("unexpected error while sending")
            await smtp.close()
            return SendFailure(repr(error))
