"""The bounces service, served as `python -m services.bounces` serves it, with probes that
say where a request's time goes (`bench/bounces.py --probe`; never in production).

    PROBE_OUT=/tmp/probe.json python -m bench.bounces_probe

What it records, written as JSON to PROBE_OUT when the service stops:
- each webhook request's phases (perf_counter seconds, from the moment the ASGI app got
  it): body read, verified and parsed, its group's transaction begun, committed, answered;
- the event loop's lag: a task that asks to wake every millisecond records how late it
  woke (a synchronous stretch of that length blocked every request);
- each pass of the outbox relay (start, end, events published);
- each garbage collection (start, end, generation);
- each group commit (start, end, requests in the group).
"""
# ruff: noqa: E402 - the project root goes on sys.path before the project's imports

import asyncio
import gc
import importlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import uvicorn
from sqlalchemy import event
from starlette.types import ASGIApp, Receive, Scope, Send

from services.bounces.app import create_app
from services.bounces.settings import BouncesSettings
from services.bounces.usecases import group_commit, ingest_request
from shared.messaging.outbox import OutboxRelay

RECORD: dict[str, list[Any]] = {
    "requests": [],
    "lag": [],
    "relay": [],
    "gc": [],
    "groups": [],
    "connects": [],  # new database connections opened (the pool's overflow, reconnects)
}
PHASES: ContextVar[dict[str, float] | None] = ContextVar("probe_phases", default=None)
BY_REQUEST: dict[int, dict[str, float]] = {}  # id(WebhookRequest) → its phases

now = time.perf_counter  # CLOCK_MONOTONIC: the same clock in the bench's process


async def _lag_monitor() -> None:
    interval = 0.001
    while True:
        asked = now()
        await asyncio.sleep(interval)
        RECORD["lag"].append((asked, now() - asked - interval))


def install() -> None:
    """Wrap the steps to be timed (only in the process this module serves)."""
    gc_started: list[float] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[:] = [now()]
        elif gc_started:
            RECORD["gc"].append((gc_started.pop(), now(), info["generation"]))

    gc.callbacks.append(on_gc)

    relay_once = OutboxRelay.relay_once

    async def timed_relay(self: OutboxRelay, limit: int | None = None) -> int:
        started = now()
        published = await relay_once(self, limit)
        if published:
            RECORD["relay"].append((started, now(), published))
        return published

    OutboxRelay.relay_once = timed_relay  # type: ignore[method-assign]

    commit = group_commit.GroupCommit._commit

    async def timed_commit(self: Any, group: list[Any]) -> None:
        started = now()
        marks: dict[str, float] = {}
        for item, _ in group:
            request = getattr(item, "request", None)
            if (phases := BY_REQUEST.get(id(request))) is not None:
                phases["group"] = started
        unit_of_work = self._unit_of_work

        @asynccontextmanager
        async def timed_unit_of_work() -> AsyncIterator[Any]:
            async with unit_of_work() as uow:
                marks["begun"] = now()
                yield uow
                marks["stored"] = now()

        self._unit_of_work = timed_unit_of_work
        try:
            await commit(self, group)
        finally:
            self._unit_of_work = unit_of_work
        begun, stored = marks.get("begun", started), marks.get("stored", started)
        RECORD["groups"].append((started, now(), len(group), begun, stored))

    group_commit.GroupCommit._commit = timed_commit  # type: ignore[method-assign]

    parse = ingest_request._parse

    def timed_parse(request: Any, proof: Any) -> Any:
        phases = PHASES.get()
        if phases is not None:
            phases["verified"] = now()
        parsed = parse(request, proof)
        if phases is not None:
            phases["parsed"] = now()
        return parsed

    ingest_request._parse = timed_parse

    ingest = ingest_request.Ingestion.ingest

    async def timed_ingest(self: Any, request: Any) -> Any:
        phases = PHASES.get()
        if phases is None:
            return await ingest(self, request)
        phases["body"] = now()
        BY_REQUEST[id(request)] = phases
        try:
            return await ingest(self, request)
        finally:
            phases["committed"] = now()
            del BY_REQUEST[id(request)]

    ingest_request.Ingestion.ingest = timed_ingest  # type: ignore[method-assign]


class Phases:
    """Outermost ASGI layer: when the app got the request, when it answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            monitor = asyncio.create_task(_lag_monitor())
            try:
                await self.app(scope, receive, send)
            finally:
                monitor.cancel()
                with open(os.environ["PROBE_OUT"], "w") as out:  # noqa: ASYNC230 (on exit)
                    json.dump(RECORD, out)
            return
        if scope["type"] != "http" or not scope["path"].startswith("/webhooks/"):
            await self.app(scope, receive, send)
            return
        phases = {"start": now()}
        PHASES.set(phases)

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                phases["end"] = now()
                RECORD["requests"].append(phases)

        await self.app(scope, receive, timed_send)


def watch_connections(app: Any) -> None:
    engine = app.state.runtime.db.engine.sync_engine
    event.listen(engine, "connect", lambda *_: RECORD["connects"].append(now()))


def percentiles(values: Sequence[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000

    return (
        f"p50 {at(50):6.1f}  p95 {at(95):6.1f}  p99 {at(99):6.1f}  max {ordered[-1] * 1000:6.1f} ms"
    )


PHASE_NAMES = (
    ("body", "start", "body"),
    ("verify", "body", "verified"),
    ("parse", "verified", "parsed"),
    ("wait for a group", "parsed", "group"),
    ("group's transaction", "group", "committed"),
    ("answer", "committed", "end"),
)


def _overlap(a: float, b: float, spans: Sequence[Sequence[float]]) -> float:
    return sum(max(0.0, min(b, span[1]) - max(a, span[0])) for span in spans)


def summarize(record: dict[str, list[Any]], start: float, end: float) -> list[str]:
    """Where the time of the requests that arrived between `start` and `end` went."""
    requests = [r for r in record["requests"] if start <= r["start"] <= end and "end" in r]
    if not requests:
        return ["  probe: no requests recorded"]
    totals = [r["end"] - r["start"] for r in requests]
    lines = [f"  probe, in the app (ASGI in → answer sent): {percentiles(totals)}"]
    slowest = sorted(requests, key=lambda r: r["end"] - r["start"])[-max(1, len(requests) // 100) :]
    for name, begin, finish in PHASE_NAMES:
        spans = [r[finish] - r[begin] for r in requests if begin in r and finish in r]
        slow = [r[finish] - r[begin] for r in slowest if begin in r and finish in r]
        mean_slow = sum(slow) / len(slow) * 1000 if slow else float("nan")
        lines.append(f"    {name:<20} {percentiles(spans)}   slowest 1 %: mean {mean_slow:6.1f} ms")
    window = [s for s in record["lag"] if start <= s[0] <= end]
    stalls = [(s[0], s[0] + 0.001 + s[1]) for s in window if s[1] > 0.005]
    relay = [s for s in record["relay"] if s[1] >= start and s[0] <= end]
    collections = [s for s in record["gc"] if start <= s[0] <= end]
    groups = [s for s in record["groups"] if start <= s[0] <= end]
    slow_time = sum(r["end"] - r["start"] for r in slowest)
    for label, spans in (("loop stalls > 5 ms", stalls), ("relay passes", relay)):
        share = sum(_overlap(r["start"], r["end"], spans) for r in slowest) / slow_time
        lines.append(f"    slowest 1 % overlapped by {label}: {share:.0%} of their time")
    lines.append(
        f"  loop lag (1 ms timer): {percentiles([s[1] for s in window])}; stalls > 5 ms: "
        f"{len(stalls)}, {sum(b - a for a, b in stalls) / (end - start):.0%} of the time"
    )
    during = [s[1] for s in window if any(r[0] <= s[0] <= r[1] for r in relay)]
    outside = [s[1] for s in window if not any(r[0] <= s[0] <= r[1] for r in relay)]
    lines.append(f"    while the relay publishes: {percentiles(during)}")
    lines.append(f"    while it does not:         {percentiles(outside)}")
    if relay:
        lines.append(
            f"  relay: {len(relay)} passes, {sum(s[2] for s in relay)} events, "
            f"pass {percentiles([s[1] - s[0] for s in relay])}"
        )
    if groups:
        lines.append(
            f"  groups: {len(groups)}, mean {sum(s[2] for s in groups) / len(groups):.1f} "
            f"requests, transaction {percentiles([s[1] - s[0] for s in groups])}"
        )
        for part, first, last in (("connection + BEGIN", 0, 3), ("statements", 3, 4)):
            spans = [s[last] - s[first] for s in groups]
            lines.append(f"    {part:<20} {percentiles(spans)}")
        lines.append(f"    {'COMMIT':<20} {percentiles([s[1] - s[4] for s in groups])}")
    connects = [t for t in record["connects"] if start <= t <= end]
    lines.append(f"  new database connections: {len(connects)}")
    by_generation = [sum(1 for s in collections if s[2] == g) for g in range(3)]
    pauses = [s[1] - s[0] for s in collections]
    lines.append(
        f"  gc: {by_generation} collections (gen 0/1/2), longest "
        f"{max(pauses, default=0) * 1000:.1f} ms, total {sum(pauses) * 1000:.0f} ms"
    )
    return lines


if __name__ == "__main__":
    install()
    settings = BouncesSettings()
    service = create_app(settings)
    watch_connections(service)
    app = Phases(service)
    freeze_heap = getattr(importlib.import_module("shared.cli"), "freeze_heap", None)
    if freeze_heap is not None:  # as `serve` does (older code: it did not)
        freeze_heap()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        loop="uvloop",
        http="httptools",
        proxy_headers=True,
        access_log=False,
    )
