"""Per-target concurrency limits: at most N deliveries in flight to one receiving server,
so a slow receiver holds its own slots and never the ones other targets need."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Slots:
    semaphore: asyncio.Semaphore
    users: int = field(default=0)


class TargetLimiter:
    def __init__(self, per_target: int) -> None:
        if per_target < 1:
            raise ValueError("at least one delivery per target must be allowed")
        self._per_target = per_target
        self._targets: dict[str, _Slots] = {}

    @asynccontextmanager
    async def slot(self, target_key: str) -> AsyncIterator[None]:
        """Hold one of `target_key`'s slots (see `Target.key`), waiting for one if needed."""
        slots = self._targets.setdefault(target_key, _Slots(asyncio.Semaphore(self._per_target)))
        slots.users += 1  # waiting or holding: the entry stays while anyone needs it
        try:
            async with slots.semaphore:
                yield
        finally:
            slots.users -= 1
            if slots.users == 0:
                del self._targets[target_key]

    def in_flight(self, target_key: str) -> int:
        slots = self._targets.get(target_key)
        if slots is None:
            return 0
        return min(slots.users, self._per_target)

    def __len__(self) -> int:
        """How many targets have a delivery in flight or waiting (the map never grows past it)."""
        return len(self._targets)
