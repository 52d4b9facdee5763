"""The job runner's split of a failed batch: after a batch of a job fails as a whole, that
job's items run one at a time (only the item at fault is recorded as failed), and the next
job runs in whole batches again."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from services.directory.workers import job_runner
from services.directory.workers.job_runner import JobRunner
from shared.errors import Conflict, Invalid

BATCH = 4


class Jobs:
    """Jobs of so many items, run oldest first; an item in `faulty` fails its batch."""

    def __init__(self, sizes: dict[uuid.UUID, int], faulty: set[tuple[uuid.UUID, int]]) -> None:
        self.left = dict(sizes)
        self.done: dict[uuid.UUID, list[int]] = {job: [] for job in sizes}
        self.batches: list[tuple[uuid.UUID, int]] = []
        self.failed: list[tuple[uuid.UUID, int]] = []
        self.faulty = faulty
        self.start_errors: dict[uuid.UUID, Exception] = {}  # what starting that job raises
        self.jobs_failed: list[tuple[uuid.UUID, str]] = []

    def _next(self, job: uuid.UUID) -> int:
        return len(self.done[job]) + sum(1 for j, _ in self.failed if j == job)

    async def run_next_batch(
        self,
        _uow: object,
        _settings: object,
        batch_size: Callable[[uuid.UUID], int],
        claimed: Callable[[uuid.UUID], None],
    ) -> bool:
        job = next((j for j, left in self.left.items() if left), None)
        if job is None:
            return False
        claimed(job)
        if job in self.start_errors:
            raise self.start_errors[job]
        size = min(batch_size(job), self.left[job])
        items = range(self._next(job), self._next(job) + size)
        self.batches.append((job, size))
        if any((job, item) in self.faulty for item in items):
            raise Conflict("an address taken since the preview")
        self.done[job] += items
        self.left[job] -= size
        return True

    async def fail_job(self, _uow: object, _settings: object, job: uuid.UUID, reason: str) -> bool:
        self.jobs_failed.append((job, reason))
        del self.left[job]
        return True

    async def fail_next_item(self, _uow: object, _settings: object, _reason: str) -> bool:
        job = next(j for j, left in self.left.items() if left)
        self.failed.append((job, self._next(job)))
        self.left[job] -= 1
        return True


@asynccontextmanager
async def _unit() -> AsyncIterator[Any]:
    yield None


def _runner(jobs: Jobs, monkeypatch: pytest.MonkeyPatch) -> JobRunner:
    monkeypatch.setattr(job_runner, "run_next_batch", jobs.run_next_batch)
    monkeypatch.setattr(job_runner, "fail_next_item", jobs.fail_next_item)
    monkeypatch.setattr(job_runner, "fail_job", jobs.fail_job)
    return JobRunner(
        _unit, lease=timedelta(seconds=30), batch_size=BATCH, idle_seconds=1, service="test"
    )


async def test_a_failed_batch_runs_alone_and_the_next_job_in_whole_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    jobs = Jobs({first: 6, second: 8}, faulty={(first, 5)})
    runner = _runner(jobs, monkeypatch)
    while await runner.step():
        pass
    assert jobs.failed == [(first, 5)]
    assert jobs.done == {first: [0, 1, 2, 3, 4], second: list(range(8))}
    assert jobs.batches == [
        (first, 4),
        (first, 2),  # items 4 and 5: failed as a whole
        (first, 1),
        (first, 1),  # item 5 alone: failed, recorded
        (second, 4),  # the next job: whole batches again
        (second, 4),
    ]


class _DatabaseError(Exception):
    def __init__(self, sqlstate: str) -> None:
        self.sqlstate = sqlstate


async def test_a_job_whose_start_is_refused_fails_and_the_next_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refused, refused_by_database, next_job = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    jobs = Jobs({refused: 3, refused_by_database: 2, next_job: 2}, faulty=set())
    jobs.start_errors[refused] = Invalid("field.site: there is no custom field with this key.")
    jobs.start_errors[refused_by_database] = DBAPIError("INSERT", {}, _DatabaseError("22P02"))
    runner = _runner(jobs, monkeypatch)
    while await runner.step():
        pass
    assert [job for job, _ in jobs.jobs_failed] == [refused, refused_by_database]
    assert jobs.jobs_failed[0][1] == "field.site: there is no custom field with this key."
    assert jobs.jobs_failed[1][1].startswith("The database refused this change")
    assert jobs.done == {refused: [], refused_by_database: [], next_job: [0, 1]}


async def test_a_transient_database_error_at_the_start_is_tried_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = uuid.uuid4()
    jobs = Jobs({job: 2}, faulty=set())
    jobs.start_errors[job] = DBAPIError("SELECT", {}, _DatabaseError("40P01"))  # a deadlock
    runner = _runner(jobs, monkeypatch)
    with pytest.raises(DBAPIError):  # the worker's loop backs off and steps again
        await runner.step()
    assert jobs.jobs_failed == []
    del jobs.start_errors[job]
    while await runner.step():
        pass
    assert jobs.done == {job: [0, 1]}
