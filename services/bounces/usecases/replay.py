"""`python -m services.bounces replay --since ...`: normalise stored requests again, after a
parser or mapping fix. A notice already published is never published again; one that
could not be read, or waited for its message, is published once it can be."""

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime

from services.bounces.db import raw_events
from services.bounces.db.raw_events import StoredRequest
from services.bounces.domain.errors import BatchTooLarge, MalformedNotice
from services.bounces.domain.notices import Ignored, Notice
from services.bounces.domain.providers import PARSERS
from services.bounces.domain.records import RawOutcome, Tally
from services.bounces.usecases.record_notices import record_notices
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)

UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]

# Subscription messages were handled when they came; they carry no notice.
_SKIPPED = {RawOutcome.SUBSCRIPTION_CONFIRMED, RawOutcome.SUBSCRIPTION_TO_CONFIRM}


@dataclass(frozen=True)
class ReplayReport:
    requests: int = 0
    unreadable: int = 0  # still malformed, too large or failing
    tally: Tally = field(default_factory=Tally)


async def replay(
    unit_of_work: UnitOfWorkFactory,
    since: datetime,
    until: datetime | None = None,
    batch_size: int = 100,
) -> ReplayReport:
    """Requests received from `since` (inclusive) to `until` (exclusive), oldest first,
    one transaction per batch."""
    report = ReplayReport()
    after = (since, uuid.UUID(int=0))
    while True:
        async with unit_of_work() as uow:
            page = await raw_events.page(uow.session, after, until, batch_size)
            for stored in page:
                if stored.outcome not in _SKIPPED:
                    report = _add(report, await _normalise_again(uow, stored))
        if len(page) < batch_size:
            return report
        after = (page[-1].received_at, page[-1].id)


def _add(report: ReplayReport, result: tuple[bool, Tally]) -> ReplayReport:
    readable, tally = result
    return ReplayReport(
        report.requests + 1, report.unreadable + (not readable), report.tally + tally
    )


async def _normalise_again(uow: UnitOfWork, stored: StoredRequest) -> tuple[bool, Tally]:
    try:
        results = PARSERS[stored.provider](stored.body)
    except (MalformedNotice, BatchTooLarge) as error:
        outcome = (
            RawOutcome.MALFORMED if isinstance(error, MalformedNotice) else RawOutcome.TOO_LARGE
        )
        await raw_events.set_outcome(uow.session, stored.id, outcome, str(error))
        return False, Tally()
    except Exception as error:
        log.exception("a stored request still can't be parsed", raw_event_id=str(stored.id))
        await raw_events.set_outcome(uow.session, stored.id, RawOutcome.FAILED, repr(error)[:1000])
        return False, Tally()
    notices = [r for r in results if isinstance(r, Notice)]
    outcome = RawOutcome.PROCESSED if notices else RawOutcome.IGNORED
    await raw_events.set_outcome(uow.session, stored.id, outcome, None)
    tally = await record_notices(
        uow,
        notices,
        raw_event_id=stored.id,
        received_at=stored.received_at,
        retry_waiting=True,
    )
    return True, tally + Tally(ignored=sum(isinstance(r, Ignored) for r in results))
