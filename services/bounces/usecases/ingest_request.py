"""A provider's request: verify it, store it raw, normalise it, de-duplicate, match and
publish its notices through the outbox (so the provider gets its 2xx at once, and a
broker outage only delays the events). Requests that arrive together share a transaction
(`group_commit.py`)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.bounces.db import raw_events, tokens
from services.bounces.db.raw_events import RawRequest
from services.bounces.domain.errors import BatchTooLarge, MalformedNotice, NotAuthentic
from services.bounces.domain.notices import Ignored, Notice, ParseResult, Provider
from services.bounces.domain.providers import PARSERS, ses
from services.bounces.domain.providers.sns import SnsMessageType
from services.bounces.domain.records import RawOutcome, Tally, kept_headers, refused_as
from services.bounces.metrics import NOTICES, SERVICE
from services.bounces.usecases.confirm_subscription import (
    SubscriptionConfirmer,
    confirm_subscription,
)
from services.bounces.usecases.group_commit import GroupCommit, UnitOfWorkFactory
from services.bounces.usecases.record_notices import Arrival, record_requests
from services.bounces.usecases.verify_request import Proof, RequestVerifier, WebhookRequest
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)

Refusal = MalformedNotice | BatchTooLarge


@dataclass(frozen=True)
class IngestOutcome:
    """`refusal`: the request was authentic and is stored, but can't be read (400/413).
    `outcome` FAILED: a parser raised; it is stored too, and answered 500."""

    raw_event_id: uuid.UUID | None
    outcome: RawOutcome
    tally: Tally = field(default_factory=Tally)
    refusal: Refusal | None = None


@dataclass(frozen=True)
class _Parsed:
    results: list[ParseResult]
    outcome: RawOutcome
    refusal: Refusal | None = None
    detail: str | None = None


def _parse(request: WebhookRequest, proof: Proof) -> _Parsed:
    """Never raises: what can't be read is stored all the same, for `replay`."""
    try:
        if proof.sns is not None:
            results = ses.notices(proof.sns)
        else:
            results = PARSERS[request.provider](request.body)
    except (MalformedNotice, BatchTooLarge) as error:
        return _Parsed([], refused_as(error), error, str(error))
    except Exception as error:  # a bug in a parser: keep the request, answer 500
        log.exception("a provider request could not be parsed", provider=request.provider.value)
        return _Parsed([], RawOutcome.FAILED, detail=repr(error)[:1000])
    if any(isinstance(r, Notice) for r in results):
        return _Parsed(results, RawOutcome.PROCESSED)
    return _Parsed(results, RawOutcome.IGNORED)


@dataclass(frozen=True)
class _Received:
    """An authentic request, read: what its group's transaction stores."""

    request: WebhookRequest
    parsed: _Parsed
    raw: RawRequest


async def _record_group(uow: UnitOfWork, received: Sequence[_Received]) -> list[IngestOutcome]:
    arrivals = [
        Arrival(r.raw, [n for n in r.parsed.results if isinstance(n, Notice)]) for r in received
    ]
    tallies = await record_requests(uow, arrivals)  # stores the requests, even without notices
    outcomes = []
    for r, tally in zip(received, tallies, strict=True):
        tally += Tally(ignored=sum(isinstance(n, Ignored) for n in r.parsed.results))
        _count(r.request.provider, tally, r.parsed.outcome)
        outcomes.append(IngestOutcome(r.raw.id, r.parsed.outcome, tally, r.parsed.refusal))
    return outcomes


class Ingestion:
    """Takes each request through verification, then stores it with the requests that
    arrive with it (`GroupCommit`), answering once that is committed. A Mailgun request
    (its single-use token is claimed in the same transaction) and an SNS subscription
    confirmation get a transaction of their own."""

    def __init__(
        self,
        unit_of_work: UnitOfWorkFactory,
        verifier: RequestVerifier,
        confirmer: SubscriptionConfirmer | None,
        *,
        concurrency: int = 4,
    ) -> None:
        self._unit_of_work = unit_of_work
        self.verifier = verifier
        self._confirmer = confirmer
        self._groups: GroupCommit[_Received, IngestOutcome] = GroupCommit(
            unit_of_work, _record_group, concurrency=concurrency
        )

    async def ingest(self, request: WebhookRequest) -> IngestOutcome:
        """Raises NotAuthentic (forged, unsigned, stale, replayed: nothing is stored), and
        Unavailable when SNS can't be reached right now."""
        proof = await self.verifier.verify(request)
        confirming = (
            proof.sns is not None and proof.sns.type is SnsMessageType.SUBSCRIPTION_CONFIRMATION
        )
        if proof.mailgun_token is None and not confirming:
            parsed = _parse(request, proof)
            raw = _raw(request, parsed.outcome, parsed.detail)
            return await self._groups.submit(_Received(request, parsed, raw))
        async with self._unit_of_work() as uow:
            return await self._alone(uow, request, proof)

    async def _alone(self, uow: UnitOfWork, request: WebhookRequest, proof: Proof) -> IngestOutcome:
        if proof.mailgun_token is not None and not await tokens.claim(
            uow.session, proof.mailgun_token, request.received_at
        ):
            raise NotAuthentic("this Mailgun token was used before: a replayed request")
        if proof.sns is not None and proof.sns.type is SnsMessageType.SUBSCRIPTION_CONFIRMATION:
            outcome = await confirm_subscription(proof.sns, self._confirmer)
            raw = _raw(request, outcome)
            await raw_events.store(uow.session, raw)
            return IngestOutcome(raw.id, outcome)
        parsed = _parse(request, proof)
        received = _Received(request, parsed, _raw(request, parsed.outcome, parsed.detail))
        return (await _record_group(uow, [received]))[0]


def _raw(request: WebhookRequest, outcome: RawOutcome, detail: str | None = None) -> RawRequest:
    return RawRequest(
        uuid.uuid4(),
        request.provider,
        request.received_at,
        kept_headers(request.headers),
        request.body,
        outcome,
        detail,
    )


def _count(provider: Provider, tally: Tally, outcome: RawOutcome) -> None:
    for name in ("published", "duplicates", "unmatched", "refused", "ignored"):
        if value := getattr(tally, name):
            NOTICES.labels(SERVICE, provider.value, name).inc(value)
    if outcome in (RawOutcome.MALFORMED, RawOutcome.TOO_LARGE, RawOutcome.FAILED):
        NOTICES.labels(SERVICE, provider.value, outcome.value).inc()
