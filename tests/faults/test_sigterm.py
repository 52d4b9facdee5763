"""SIGTERM while the directory relays a long outbox: it stops within its shutdown budget,
and after a restart every event is on the bus exactly once — the batch under way when
the signal came is finished and recorded, never published again."""

import asyncio
import time

from tests.faults.support import (
    ServiceProcess,
    count,
    fill_outbox,
    report,
    running,
    wait_until,
)
from tests.support.bus import BusSpy, Seen

ROWS = 60_000
# Events on the bus when SIGTERM comes: the rest (59,000) is more than the relay can
# publish within the budget even on an idle machine (these small events went out at
# ~6,500/s there in 2026-12; 20,000 were all published within the budget).
TERM_AFTER = 1000
# Too short to publish the whole outbox: the stream is cut by the deadline, not finished.
SHUTDOWN_BUDGET = 4.0
PENDING = "SELECT count(*) FROM outbox WHERE published_at IS NULL"


async def test_sigterm_mid_stream_stops_in_time_and_publishes_nothing_twice(
    directory_process: ServiceProcess, spy: BusSpy
) -> None:
    directory = directory_process
    directory.env["SHUTDOWN_TIMEOUT_SECONDS"] = str(SHUTDOWN_BUDGET)
    database = directory.env["DATABASE_URL"]
    await fill_outbox(database, ROWS)
    async with running(directory):
        await wait_until(lambda: len(streamed(spy)) >= TERM_AFTER, 60, "the stream under way")
        stopped_in = await directory.terminate()
        graceful = bool(directory.lines_with("Application shutdown complete"))
        pending_at_exit = await count(database, PENDING)
        recorded = ROWS - pending_at_exit
        await wait_until(lambda: len(streamed(spy)) >= recorded, 10, "what was recorded on the bus")
        await asyncio.sleep(0.5)  # the spy's last deliveries, if more went out than recorded
        on_bus_at_exit = len(streamed(spy))
        directory.start()
        restarted = time.monotonic()
        await wait_until(lambda: len(streamed(spy)) >= ROWS, 120, f"{ROWS} events on the bus")
        await asyncio.sleep(1.0)  # anything published twice would show by now
        ids = [seen.message_id for seen in streamed(spy)]
        report(
            "SIGTERM mid-stream",
            rows=ROWS,
            on_bus_at_sigterm_exit=on_bus_at_exit,
            recorded_published_at_exit=recorded,
            exit_s=round(stopped_in, 1),
            shutdown_budget_s=SHUTDOWN_BUDGET,
            shutdown_complete=graceful,
            rest_published_in_s=round(time.monotonic() - restarted, 1),
            on_bus=len(ids),
            distinct=len(set(ids)),
            duplicates=len(ids) - len(set(ids)),
            pending=await count(database, PENDING),
        )
        assert stopped_in <= SHUTDOWN_BUDGET
        assert graceful, "uvicorn finished its shutdown (the runtime stopped in order)"
        assert pending_at_exit > 0, "SIGTERM came mid-stream"
        assert on_bus_at_exit == recorded, "what went out was recorded"
        assert len(ids) == len(set(ids)) == ROWS
        assert await count(database, PENDING) == 0


def streamed(spy: BusSpy) -> list[Seen]:
    return [seen for seen in spy.seen if seen.routing_key == "fault.streamed"]
