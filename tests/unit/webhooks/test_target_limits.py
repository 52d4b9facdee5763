"""Per-target limits: a busy target waits for its own slots, never for another's."""

import asyncio

import pytest

from services.webhooks.adapters.target_limits import TargetLimiter

SLOW, OTHER = "https://slow.example.com:443", "https://other.example.com:443"


async def test_a_target_with_every_slot_taken_does_not_hold_up_another() -> None:
    limiter = TargetLimiter(per_target=2)
    release = asyncio.Event()

    async def hold(key: str) -> None:
        async with limiter.slot(key):
            await release.wait()

    holders = [asyncio.create_task(hold(SLOW)) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert limiter.in_flight(SLOW) == 2  # the third waits

    async with asyncio.timeout(0.5), limiter.slot(OTHER):
        assert limiter.in_flight(OTHER) == 1

    release.set()
    await asyncio.gather(*holders)
    assert limiter.in_flight(SLOW) == 0
    assert len(limiter) == 0  # no entry left behind


async def test_a_waiter_gets_the_slot_when_it_is_freed() -> None:
    limiter = TargetLimiter(per_target=1)
    order: list[str] = []
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with limiter.slot(SLOW):
            order.append("first")
            first_in.set()
            await release.wait()

    async def second() -> None:
        await first_in.wait()
        async with limiter.slot(SLOW):
            order.append("second")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await asyncio.sleep(0.01)
    assert order == ["first"]
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["first", "second"]


async def test_a_cancelled_waiter_leaves_nothing_behind() -> None:
    limiter = TargetLimiter(per_target=1)
    release = asyncio.Event()

    async def hold() -> None:
        async with limiter.slot(SLOW):
            await release.wait()

    async def wait_for_slot() -> None:
        async with limiter.slot(SLOW):
            pass

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(wait_for_slot())
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    release.set()
    await holder
    assert len(limiter) == 0


def test_at_least_one_slot_per_target() -> None:
    with pytest.raises(ValueError, match="at least one"):
        TargetLimiter(per_target=0)
