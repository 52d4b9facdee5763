"""Recording what sending attempts came to, with their events; handing back claims that
were not tried."""

import random
from collections.abc import Sequence

from services.invitations.db import outcomes as outcomes_db
from services.invitations.domain.emails import INVITATION_KINDS, DeliveryState, Email, MailKind
from services.invitations.domain.failure_streak import FailureStreak, Tell
from services.invitations.domain.retry import Attempt, GiveUp, RetryPolicy, after_failure
from services.invitations.usecases import events
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)


async def record_attempts(
    uow: UnitOfWork, attempts: Sequence[Attempt], retry: RetryPolicy, streak: FailureStreak
) -> None:
    """`streak`: the process's failed attempts in a row, so that an outage is a few lines."""
    sent = [(attempt.email, attempt.at) for attempt in attempts if attempt.failure is None]
    if sent:
        firsts = await outcomes_db.mark_sent(uow.session, sent)
        # A reset link's e-mail concerns no invitation: the directory needs no word of it.
        invitations = [(email, at) for email, at in sent if email.kind in INVITATION_KINDS]
        uow.emit(
            *(
                events.sent(email, at, firsts.get((email.tenant_id, email.user_id)))
                for email, at in invitations
            )
        )
    for attempt in attempts:
        if attempt.failure is not None:
            await _record_failure(uow, attempt, retry, streak)
    if sent and (over := streak.sent(sent[-1][1])) is not None:
        log.info(
            "e-mails sent again",
            failed_attempts=over.failed_attempts,
            lasted_seconds=round(over.lasted.total_seconds(), 1),
        )


async def _record_failure(
    uow: UnitOfWork, attempt: Attempt, retry: RetryPolicy, streak: FailureStreak
) -> None:
    email, failure = attempt.email, attempt.failure
    assert failure is not None
    step = after_failure(retry, email, failure, attempt.at, random.random())  # noqa: S311
    context = {
        "invitation_id": str(email.invitation_id),
        "delivery_id": str(email.delivery_id),
        "attempt": email.attempts,
        "outcome": failure.kind.value,
        "error": failure.reason,
    }
    if not isinstance(step, GiveUp):
        told = streak.failed(attempt.at)
        if told is Tell.FIRST:
            log.warning(
                "e-mail not sent, will retry; the next failures are counted until one is sent",
                same_email=step.same_email,
                **context,
            )
        elif told is Tell.REMINDER:
            log.warning(
                "e-mails still not sent, will retry",
                failed_attempts=streak.failed_attempts,
                **context,
            )
        else:
            log.debug("e-mail not sent, will retry", same_email=step.same_email, **context)
        await outcomes_db.mark_for_retry(
            uow.session, email, step.at, failure.reason, same_email=step.same_email
        )
        return
    log.error("e-mail not sent, giving up", **context)
    await outcomes_db.close(uow.session, email, DeliveryState.FAILED, step.reason)
    if email.kind is MailKind.INVITATION:
        uow.emit(events.failed(email, step.reason, attempt.at))


async def release_emails(uow: UnitOfWork, emails: Sequence[Email]) -> None:
    """Claimed but not tried (the sender is stopping): due again now, attempt not counted."""
    await outcomes_db.release(uow.session, emails)
