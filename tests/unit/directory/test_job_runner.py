"""The job runner's split of a failed batch: after a batch of a job fails as a whole, that
job's items run one at a time (only the item at fault is recorded as failed), and the next
job runs in whole batches again."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest

from services.directory.workers import job_runner
from services.directory.workers.job_runner import JobRunner
from shared.errors import Conflict

BATCH = 4


class Jobs:
    """Jobs of so many items, run oldest first; an item in `faulty` fails its batch."""

    def __init__(self, sizes: dict[uuid.UUID, int], faulty: set[tuple[uuid.UUID, int]]) -> None:
        self.left = dict(sizes)
        self.done: dict[uuid.UUID, list[int]] = {job: [] for job in sizes}
        self.batches: list[tuple[uuid.UUID, int]] = []
        self.failed: list[tuple[uuid.UUID, int]] = []
        self.faulty = faulty

    def _next(self, job: uuid.UUID) -> int:
        return len(self.done[job]) + sum(1 for j, _ in self.failed if j == job)

    async def run_next_batch(
        self, _uow: object, _settings: object, batch_size: Callable[[uuid.UUID], int]
    ) -> bool:
        job = next((j for j, left in self.left.items() if left), None)
        if job is None:
            return False
        size = min(batch_size(job), self.left[job])
        items = range(self._next(job), self._next(job) + size)
        self.batches.append((job, size))
        if any((job, item) in self.faulty for item in items):
            raise Conflict("an address taken since the preview")
        self.done[job] += items
        self.left[job] -= size
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
