"""Claiming due e-mails: decide for each (send, cancel, fail, revoke), and for those to
send commit the idempotency record before anything leaves.

The record fixes the attempt, the Message-ID (for the e-mail's whole life) and the link.
An e-mail of which a copy may have arrived (the last attempt's outcome was unknown, or a
sender died before recording it) is sent again as the very same e-mail: same link (its
token derived again from the stored nonce), same Message-ID."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from services.invitations.db import deliveries as deliveries_db
from services.invitations.db import invitations as invitations_db
from services.invitations.db import outcomes as outcomes_db
from services.invitations.domain.emails import (
    RESET_KINDS,
    DeliveryState,
    Email,
    MailKind,
    new_message_id,
)
from services.invitations.domain.links import LinkMaker
from services.invitations.domain.retry import RetryPolicy
from services.invitations.domain.sending import Action, Decision, decide
from services.invitations.usecases import events
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)


@dataclass(frozen=True)
class SendingRules:
    token_ttl: timedelta
    reset_token_ttl: timedelta
    lease: timedelta
    reminders_on: bool
    message_domain: str
    retry: RetryPolicy
    links: LinkMaker


async def claim_emails(
    uow: UnitOfWork, rules: SendingRules, now: datetime, limit: int
) -> list[Email]:
    to_send: list[Email] = []
    for email in await deliveries_db.claim_due(uow.session, now, limit):
        decision = decide(email, now, reminders_on=rules.reminders_on)
        if decision.action is Action.SEND:
            to_send.append(_prepare(email, rules, now))
        else:
            await _settle(uow, email, decision, now)
    await deliveries_db.mark_sending(uow.session, to_send, now + rules.lease)
    return to_send


def _prepare(email: Email, rules: SendingRules, now: datetime) -> Email:
    link = rules.links.again(email.issued) if email.issued is not None else None
    if email.issued is not None and link is None:
        log.warning(
            "the link of an earlier copy can't be derived again (LINK_SECRET changed): "
            "this e-mail carries a new one",
            delivery_id=str(email.delivery_id),
        )
    if link is None:
        expires_at = now + rules.token_ttl
        if email.kind in RESET_KINDS:
            expires_at = now + rules.reset_token_ttl
        if email.kind is MailKind.REMINDER and email.invitation_expires_at is not None:
            expires_at = email.invitation_expires_at  # a reminder's link dies with it
        link = rules.links.new(expires_at)
    message_id = email.message_id or new_message_id(rules.message_domain)
    return replace(email, attempts=email.attempts + 1, message_id=message_id, link=link)


async def _settle(uow: UnitOfWork, email: Email, decision: Decision, now: datetime) -> None:
    """Close an e-mail that must not go out, and say so when someone must know."""
    log.info("e-mail not sent", delivery_id=str(email.delivery_id), reason=decision.reason)
    if decision.action is Action.FAIL:
        await outcomes_db.close(uow.session, email, DeliveryState.FAILED, decision.reason)
        uow.emit(events.failed(email, decision.reason, now, suppressed=decision.suppressed))
        return
    await outcomes_db.close(uow.session, email, DeliveryState.CANCELLED, decision.reason)
    if decision.action is Action.REVOKE:
        revoked = await invitations_db.revoke_open(
            uow.session,
            email.tenant_id,
            email.user_id,
            decision.reason,
            now,
            requested_before=email.requested_at + timedelta(microseconds=1),
        )
        uow.emit(*(events.revoked(email.tenant_id, r, decision.reason, now) for r in revoked))
