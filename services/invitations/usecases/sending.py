"""Sending, in three committed steps: claim (the idempotency record), send, record.

The e-mail never leaves inside a transaction that could still roll back: the claim is
committed first (state `sending`, attempt counted, Message-ID and link fixed), then the
SMTP conversation happens with no transaction open, then the outcome is committed with
its event. If the process dies in between, the claim's lease runs out and the e-mail is
sent again with the same Message-ID (receivers and providers use it to drop duplicates).
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.db import deliveries as deliveries_db
from services.invitations.db import invitations as invitations_db
from services.invitations.db import outcomes as outcomes_db
from services.invitations.db.deliveries import Claimed, SendingClaim
from services.invitations.domain.retry import GiveUp, RetryPolicy, SendFailure, after_failure
from services.invitations.domain.sending import Action, Decision, MailKind, Outgoing, decide
from services.invitations.usecases import events
from shared.contracts import CloudEvent
from shared.contracts.invitations import InvitationSent
from shared.logging import get_logger
from shared.messaging.outbox import enqueue
from shared.security.tokens import new_token, token_hash

log = get_logger(__name__)


@dataclass(frozen=True)
class SendingRules:
    token_ttl: timedelta
    lease: timedelta
    reminders_on: bool
    message_domain: str
    retry: RetryPolicy


@dataclass(frozen=True)
class MailJob:
    """A claimed e-mail, ready to write: the raw token lives only here and in the e-mail."""

    claimed: Claimed
    message_id: str
    attempt: int
    token: str
    link_expires_at: datetime

    @property
    def kind(self) -> MailKind:
        return self.claimed.kind


async def claim_jobs(
    session: AsyncSession, rules: SendingRules, now: datetime, limit: int
) -> list[MailJob]:
    jobs: list[MailJob] = []
    for claimed in await deliveries_db.claim_due(session, now, limit):
        decision = decide(
            _outgoing(claimed),
            now,
            suppression=claimed.suppression,
            user=claimed.user,
            reminders_on=rules.reminders_on,
        )
        if decision.action is Action.SEND:
            jobs.append(_job(claimed, rules, now))
        else:
            await _settle(session, claimed, decision, now)
    claims = [
        SendingClaim(j.claimed.delivery, j.message_id, token_hash(j.token), j.link_expires_at)
        for j in jobs
    ]
    await deliveries_db.mark_sending(session, claims, now + rules.lease)
    return jobs


def _outgoing(claimed: Claimed) -> Outgoing:
    invitation = claimed.invitation
    return Outgoing(
        kind=claimed.kind,
        email=invitation.email,
        requested_at=invitation.requested_at,
        invitation_open=invitation.accepted_at is None and invitation.revoked_at is None,
        link_expires_at=invitation.expires_at,
    )


def _job(claimed: Claimed, rules: SendingRules, now: datetime) -> MailJob:
    delivery = claimed.delivery
    if claimed.kind is MailKind.REMINDER and claimed.invitation.expires_at is not None:
        expires_at = claimed.invitation.expires_at  # a reminder's link dies with the invitation
    else:
        expires_at = now + rules.token_ttl
    message_id = delivery.message_id or deliveries_db.new_message_id(rules.message_domain)
    return MailJob(claimed, message_id, delivery.attempts + 1, new_token(), expires_at)


async def _settle(
    session: AsyncSession, claimed: Claimed, decision: Decision, now: datetime
) -> None:
    """Close an e-mail that must not go out, and say so when someone must know."""
    delivery, invitation = claimed.delivery, claimed.invitation
    log.info("e-mail not sent", delivery_id=str(delivery.id), reason=decision.reason)
    if decision.action is Action.FAIL:
        await outcomes_db.close(session, delivery, "failed", decision.reason)
        event = events.failed(invitation, decision.reason, now, suppressed=decision.suppressed)
        await enqueue(session, event)
        return
    await outcomes_db.close(session, delivery, "cancelled", decision.reason)
    if decision.action is Action.REVOKE:
        revoked = await invitations_db.revoke_open(
            session,
            delivery.tenant_id,
            invitation.user_id,
            decision.reason,
            now,
            requested_before=invitation.requested_at + timedelta(microseconds=1),
        )
        await enqueue(
            session, *(events.revoked(delivery.tenant_id, r, decision.reason, now) for r in revoked)
        )


async def record_sent(session: AsyncSession, sent: Sequence[tuple[MailJob, datetime]]) -> None:
    """The e-mails the server accepted, with their `invitation.sent` events."""
    if not sent:
        return
    await outcomes_db.mark_sent(
        session,
        [outcomes_db.Sent(job.claimed.delivery, at, job.link_expires_at) for job, at in sent],
    )
    await enqueue(session, *(_sent_event(job, at) for job, at in sent))


def _sent_event(job: MailJob, sent_at: datetime) -> CloudEvent[InvitationSent]:
    earlier = job.claimed.first_sent_at
    return events.sent(
        job.claimed.invitation,
        message_id=job.message_id,
        attempt=job.attempt,
        is_reminder=job.kind is MailKind.REMINDER,
        first_sent_at=min(earlier, sent_at) if earlier else sent_at,
        sent_at=sent_at,
        expires_at=job.link_expires_at,
    )


async def record_failure(
    session: AsyncSession, job: MailJob, failure: SendFailure, rules: SendingRules, now: datetime
) -> None:
    delivery = job.claimed.delivery
    step = after_failure(rules.retry, job.attempt, failure, now, random.random())  # noqa: S311
    if not isinstance(step, GiveUp):
        log.warning("e-mail not sent, will retry", attempt=job.attempt, error=failure.reason)
        await outcomes_db.mark_for_retry(session, delivery, step.at, failure.reason)
        return
    log.error("e-mail not sent, giving up", attempt=job.attempt, error=failure.reason)
    await outcomes_db.close(session, delivery, "failed", step.reason)
    if job.kind is MailKind.INVITATION:
        await enqueue(session, events.failed(job.claimed.invitation, step.reason, now))


async def release(session: AsyncSession, jobs: Sequence[MailJob]) -> None:
    """Claimed but not tried (the process is stopping): due again now, attempt not counted."""
    await outcomes_db.release(session, [job.claimed.delivery for job in jobs])
