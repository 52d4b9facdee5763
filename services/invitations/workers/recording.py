"""Group commit of sending outcomes, without a loop of its own.

Each e-mail under way waits until its outcome is committed before its slot takes
another (`SEND_IN_FLIGHT` slots per worker), so a crash catches at most that many e-mails
per worker between the server's "250 OK" and the record. The commits (and their fsyncs)
are shared, which is most of what recording costs: while one commit is under way the
outcomes that arrive queue up, and the first of them to get the lock commits them all
(leader and followers, as PostgreSQL's own group commit does)."""

import asyncio
from datetime import timedelta

from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from services.invitations.domain.failure_streak import FailureStreak
from services.invitations.domain.retry import Attempt, RetryPolicy
from services.invitations.usecases import UnitsOfWork
from services.invitations.usecases.record_attempts import record_attempts
from shared.logging import get_logger

log = get_logger(__name__)

RETRY_MAX = timedelta(seconds=30)


class GroupCommit:
    def __init__(self, units: UnitsOfWork, retry: RetryPolicy) -> None:
        self._units = units
        self._retry = retry
        self._waiting: list[tuple[Attempt, asyncio.Future[None]]] = []
        self._lock = asyncio.Lock()
        self._streak = FailureStreak()  # every sending worker's outcomes pass here

    async def record(self, attempt: Attempt) -> None:
        """Returns once the attempt's outcome is committed."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((attempt, done))
        async with self._lock:
            if not done.done():
                batch, self._waiting = self._waiting, []
                try:
                    await self._commit([attempt for attempt, _ in batch])
                except BaseException:
                    self._waiting[:0] = batch  # cancelled: the next leader commits them
                    raise
                for _, future in batch:
                    future.set_result(None)
        await done

    async def _commit(self, attempts: list[Attempt]) -> None:
        """Giving up would leave the claims to run out and the e-mails to go out again:
        while the database is away, keep trying (logged once per outage)."""
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=0.5, max=RETRY_MAX.total_seconds()),
            retry=retry_if_exception_type(Exception),
            before_sleep=_log_first_failure,
        )
        async for trying in retrying:
            with trying:
                async with self._units() as uow:
                    await record_attempts(uow, attempts, self._retry, self._streak)


def _log_first_failure(state: object) -> None:
    if getattr(state, "attempt_number", 1) == 1:
        outcome = getattr(state, "outcome", None)
        error = outcome.exception() if outcome is not None else None
        log.warning("could not record sending outcomes; retrying", error=repr(error))
