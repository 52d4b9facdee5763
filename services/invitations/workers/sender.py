"""The sender: `SEND_CONCURRENCY` workers, each claiming due e-mails (FOR UPDATE SKIP
LOCKED, so any number of workers and replicas can run) and sending them over the
process's `SMTP_CONNECTIONS` SMTP connections (a worker holds one for its conversation
only, not while its outcome is committed), kept while there is mail: closed when a claim
finds none and the connection has not been used for `KEEP_IDLE_SECONDS` (a burst arriving
in batches wakes every worker for each batch; most find nothing, and would otherwise
reconnect for the next one). One
pass of a worker is the use case `send_due_emails`; the loop, its wakeup (NOTIFY on the
deliveries table) and its graceful stop are `shared.workers.Worker`'s."""

import asyncio
from collections.abc import Awaitable, Callable

from services.invitations.adapters.mail.mailer import SmtpMailer
from services.invitations.usecases import UnitsOfWork
from services.invitations.usecases.claim_emails import SendingRules
from services.invitations.usecases.send_emails import send_due_emails
from services.invitations.workers.recording import GroupCommit
from shared.wakeup import Wakeup
from shared.workers import Worker

KEEP_IDLE_SECONDS = 2.0  # well under any server's idle time-out (RFC 5321: ≥ 5 minutes)


class SendingWorker:
    def __init__(
        self,
        name: str,
        *,
        units: UnitsOfWork,
        mailer: SmtpMailer,
        recorder: GroupCommit,
        rules: SendingRules,
        batch_size: int,
        in_flight: int,
        wakeup: Wakeup,
        service: str,
    ) -> None:
        self._units = units
        self._mailer = mailer
        self._recorder = recorder
        self._rules = rules
        self._batch_size = batch_size
        self._in_flight = in_flight
        self.worker = Worker(name, self.step, service=service, wakeup=wakeup)

    async def step(self) -> bool:
        claimed = await send_due_emails(
            self._units,
            self._mailer,
            self._recorder.record,
            self._rules,
            batch_size=self._batch_size,
            in_flight=self._in_flight,
            stopping=lambda: self.worker.stopping,
        )
        if claimed == 0:
            await self._mailer.close_if_idle(KEEP_IDLE_SECONDS)
        return claimed >= self._batch_size and not self.worker.stopping

    async def close(self) -> None:
        await self._mailer.close()


class Sender:
    """The sending workers, started and stopped together with the service; then their
    SMTP sessions and their own database connections are closed."""

    def __init__(
        self, workers: list[SendingWorker], close_database: Callable[[], Awaitable[None]]
    ) -> None:
        self.workers = workers
        self._close_database = close_database

    def start(self) -> None:
        for sending in self.workers:
            sending.worker.start()

    async def stop(self, grace_seconds: float) -> None:
        await asyncio.gather(*(sending.worker.stop(grace_seconds) for sending in self.workers))
        for sending in self.workers:
            await sending.close()
        await self._close_database()
