"""Forget what is past its retention: raw requests and their notices, old entries of the
index of sent messages, and Mailgun tokens older than any fresh signature."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.bounces.db import notices, raw_events, sent_messages, tokens
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Retention:
    raw_events: timedelta
    sent_messages: timedelta
    tokens: timedelta  # twice the signature tolerance: a token older is refused as stale


async def purge_expired(uow: UnitOfWork, retention: Retention, now: datetime) -> int:
    session = uow.session
    removed = await raw_events.purge(session, now - retention.raw_events)
    removed += await notices.purge(session, now - retention.raw_events)
    removed += await sent_messages.purge(session, now - retention.sent_messages)
    removed += await tokens.purge(session, now - retention.tokens)
    return removed
