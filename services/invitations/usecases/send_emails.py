"""Sending, in three committed steps: claim (the idempotency record), send, record.

The e-mail never leaves inside a transaction that could still roll back: the claim is
committed first, then the SMTP conversation happens with no transaction open, then the
outcome is committed with its event (`record`, which returns once it is committed). If
the process dies in between, the claim's time runs out and the very same e-mail (same
link, same Message-ID) is sent again."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from services.invitations.domain.emails import Email
from services.invitations.domain.retry import Attempt, FailureKind, SendFailure
from services.invitations.usecases import UnitsOfWork
from services.invitations.usecases.claim_emails import SendingRules, claim_emails
from services.invitations.usecases.record_attempts import release_emails


class Mailer(Protocol):
    async def send(self, email: Email) -> SendFailure | None:
        """Write and send the e-mail; None once the server accepted it."""


RecordAttempt = Callable[[Attempt], Awaitable[None]]


async def send_due_emails(
    units: UnitsOfWork,
    mailer: Mailer,
    record: RecordAttempt,
    rules: SendingRules,
    *,
    batch_size: int,
    stopping: Callable[[], bool],
    in_flight: int = 1,
) -> int:
    """Claim one batch, send it, record each outcome; up to `in_flight` of its e-mails
    under way at once (sent, or sent and waiting for their record's commit), started in
    the batch's order. Returns how many were claimed."""
    async with units() as uow:
        emails = await claim_emails(uow, rules, datetime.now(UTC), batch_size)
    unreachable: SendFailure | None = None
    slots = asyncio.Semaphore(in_flight)

    async def send(email: Email) -> None:
        nonlocal unreachable
        try:
            if unreachable is None:
                failure = await mailer.send(email)
                if failure is not None and failure.kind is FailureKind.UNREACHABLE:
                    unreachable = failure
            else:  # no server to talk to: don't wait out one more timeout per e-mail
                failure = unreachable
            await record(Attempt(email, failure, datetime.now(UTC)))
        finally:
            slots.release()

    async with asyncio.TaskGroup() as under_way:
        for index, email in enumerate(emails):
            await slots.acquire()
            if stopping():  # hand the rest back at once
                slots.release()
                async with units() as uow:
                    await release_emails(uow, emails[index:])
                break
            under_way.create_task(send(email))
    return len(emails)
