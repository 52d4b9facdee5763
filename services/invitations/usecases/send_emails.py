"""Sending, in three committed steps: claim (the idempotency record), send, record.

The e-mail never leaves inside a transaction that could still roll back: the claim is
committed first, then the SMTP conversation happens with no transaction open, then the
outcome is committed with its event (`record`, which returns once it is committed). If
the process dies in between, the claim's time runs out and the very same e-mail (same
link, same Message-ID) is sent again."""

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
) -> int:
    """Claim one batch, send it, record each outcome. Returns how many were claimed."""
    async with units() as uow:
        emails = await claim_emails(uow, rules, datetime.now(UTC), batch_size)
    unreachable: SendFailure | None = None
    for index, email in enumerate(emails):
        if stopping():  # hand the rest back at once
            async with units() as uow:
                await release_emails(uow, emails[index:])
            break
        if unreachable is None:
            failure = await mailer.send(email)
            if failure is not None and failure.kind is FailureKind.UNREACHABLE:
                unreachable = failure
        else:  # no server to talk to: don't wait out one more timeout per e-mail
            failure = unreachable
        await record(Attempt(email, failure, datetime.now(UTC)))
    return len(emails)
