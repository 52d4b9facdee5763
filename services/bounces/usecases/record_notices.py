"""De-duplicate, match, record and publish notices: the step every path shares (a
request, a replay, a message recorded after its notices arrived)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.bounces.db import locks, sent_messages
from services.bounces.db import notices as notices_db
from services.bounces.db.notices import Key, Outcome, key_of
from services.bounces.db.raw_events import RawRequest
from services.bounces.domain.matching import (
    Decision,
    KnownMessages,
    Match,
    TenantConflict,
    address_window,
    decide,
    needs_address_lookup,
    rendezvous_keys,
)
from services.bounces.domain.notices import Notice
from services.bounces.domain.records import NoticeStatus, Tally
from services.bounces.usecases.events import email_event
from shared.contracts import CloudEvent
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)


async def decide_all(session: AsyncSession, notices: Sequence[Notice]) -> list[Decision]:
    """Each notice's match, with at most two lookups for the whole batch."""
    known = await sent_messages.tagged_or_identified(session, notices)
    index = KnownMessages(known)
    unresolved = [n for n in notices if needs_address_lookup(n, index.candidates(n))]
    window = address_window(unresolved)
    if window is not None:
        addresses = {n.recipient for n in unresolved}
        known += await sent_messages.sent_to(session, addresses, *window)
        index = KnownMessages(known)
    return [decide(notice, index.candidates(notice)) for notice in notices]


async def decide_surely(session: AsyncSession, notices: Sequence[Notice]) -> list[Decision]:
    """`decide_all`, and for the notices that found no message, again under the locks that
    `record_sent_message` takes too: else a notice and its `invitation.sent`, each in a
    transaction not yet committed, could miss each other and the notice wait forever.
    Locked, the one that comes second sees what the first committed. A request whose
    notices all matched (the usual case) takes no lock."""
    decisions = await decide_all(session, notices)
    waiting = [n for n, d in zip(notices, decisions, strict=True) if d is None]
    if not waiting:
        return decisions
    await locks.lock(session, set().union(*(rendezvous_keys(n) for n in waiting)))
    again = iter(await decide_all(session, waiting))
    return [next(again) if d is None else d for d in decisions]


def _first_of_each(notices: Sequence[Notice]) -> list[Notice]:
    """A batch may carry the same event twice: the first one counts."""
    seen: dict[Key, Notice] = {}
    for notice in notices:
        seen.setdefault(key_of(notice), notice)
    return list(seen.values())


def _outcomes(
    notices: Sequence[Notice], decisions: Sequence[Decision]
) -> tuple[list[tuple[Notice, Outcome]], dict[Key, CloudEvent[Any]]]:
    """What to record with each notice, and the event of each one that matched."""
    recorded: list[tuple[Notice, Outcome]] = []
    events: dict[Key, CloudEvent[Any]] = {}
    for notice, decision in zip(notices, decisions, strict=True):
        if isinstance(decision, Match):
            event = email_event(notice, decision)
            events[key_of(notice)] = event
            outcome = Outcome(NoticeStatus.PUBLISHED, decision, uuid.UUID(event.id))
        elif isinstance(decision, TenantConflict):
            outcome = Outcome(NoticeStatus.REFUSED, detail=decision.why)
        else:
            outcome = Outcome(NoticeStatus.UNMATCHED)
        recorded.append((notice, outcome))
    return recorded, events


async def record_notices(
    uow: UnitOfWork,
    notices: Sequence[Notice],
    *,
    raw_event_id: uuid.UUID | None,
    received_at: datetime,
    retry_waiting: bool = False,
) -> Tally:
    """A notice seen before changes nothing; with `retry_waiting` (replay, or its message
    just recorded) one that was waiting for its message is published if it matches now."""
    unique = _first_of_each(notices)
    recorded, events = _outcomes(unique, await decide_surely(uow.session, unique))
    inserted = await notices_db.insert_new(  # with the events of those it inserts
        uow.session,
        recorded,
        [raw_event_id] * len(recorded),
        [received_at] * len(recorded),
        events.values(),
    )
    promoted: set[Key] = set()
    if retry_waiting:
        for notice, outcome in recorded:
            key = key_of(notice)
            waiting = key not in inserted and outcome.match is not None
            if waiting and await notices_db.publish_waiting(uow.session, notice, outcome):
                promoted.add(key)
    uow.emit(*(events[key] for key in promoted if key in events))
    _log_new(recorded, inserted, promoted)
    return _tally(recorded, inserted | promoted, duplicates=len(notices) - len(inserted | promoted))


@dataclass(frozen=True)
class Arrival:
    """A request as it is stored, and the notices read from it."""

    request: RawRequest
    notices: Sequence[Notice]


async def record_requests(uow: UnitOfWork, arrivals: Sequence[Arrival]) -> list[Tally]:
    """Requests stored with their notices and the events of the new ones, all by one
    statement (several requests share a transaction when they arrive together:
    `usecases/group_commit.py`); each request's tally, in order. A notice that several of
    them carry counts for the first, as within one request."""
    firsts: dict[Key, tuple[Arrival, Notice]] = {}
    for arrival in arrivals:
        for notice in arrival.notices:
            firsts.setdefault(key_of(notice), (arrival, notice))
    owners = {key: arrival for key, (arrival, _) in firsts.items()}
    unique = [notice for _, notice in firsts.values()]
    recorded, events = _outcomes(unique, await decide_surely(uow.session, unique))
    requests = [owners[key_of(notice)].request for notice in unique]
    inserted = await notices_db.insert_new(  # with the requests, and the new ones' events
        uow.session,
        recorded,
        [request.id for request in requests],
        [request.received_at for request in requests],
        events.values(),
        requests=[arrival.request for arrival in arrivals],
    )
    _log_new(recorded, inserted, set())
    tallies = []
    for arrival in arrivals:
        own = [(n, o) for n, o in recorded if owners[key_of(n)] is arrival]
        new = {key_of(n) for n, _ in own} & inserted
        tallies.append(_tally(own, new, duplicates=len(arrival.notices) - len(new)))
    return tallies


def _log_new(
    recorded: Sequence[tuple[Notice, Outcome]], inserted: set[Key], promoted: set[Key]
) -> None:
    for notice, outcome in recorded:
        key = key_of(notice)
        if key in promoted:
            log.info("a waiting notice matched its message", provider_event_id=key[1])
        elif key not in inserted:
            continue
        elif outcome.status is NoticeStatus.REFUSED:
            log.warning(
                "notice refused, kept and not published",
                provider=notice.provider.value,
                provider_event_id=notice.provider_event_id,
                why=outcome.detail,
            )
        elif outcome.status is NoticeStatus.UNMATCHED:
            log.info(
                "notice for no message the platform sent: kept, not published",
                provider=notice.provider.value,
                provider_event_id=notice.provider_event_id,
            )


def _tally(recorded: Sequence[tuple[Notice, Outcome]], new: set[Key], duplicates: int) -> Tally:
    statuses = [o.status for n, o in recorded if key_of(n) in new]
    return Tally(
        published=statuses.count(NoticeStatus.PUBLISHED),
        unmatched=statuses.count(NoticeStatus.UNMATCHED),
        refused=statuses.count(NoticeStatus.REFUSED),
        duplicates=duplicates,
    )
