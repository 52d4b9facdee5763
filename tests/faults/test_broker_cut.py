"""The broker goes away while administrators keep changing the directory: every change
answered by the API reaches the bus once the broker is back, as one event, and the
directory recovers by itself (same process).

Publishing is at-least-once: a publication the broker took but whose confirm was lost
with the connection is sent again, under the same message id, and consumers drop the copy
by that id (their inbox; tests/shared/messaging/test_consumer.py). So the bus may carry a
copy of what was awaiting its confirm at the cut, and nothing else twice."""

import asyncio
import time
import uuid
from collections import Counter

from shared.settings import ServiceSettings
from tests.faults.conftest import tenant_on
from tests.faults.proxy import FaultProxy
from tests.faults.support import ServiceProcess, count, report, running, wait_until
from tests.support.bus import BusSpy, Seen
from tests.support.directory import Tenant

CHANGES = 1000
CONCURRENT = 8
CUT_AFTER = 250
OUTAGE_SECONDS = 6.0
AWAITING_CONFIRM = ServiceSettings.model_fields["publish_max_in_flight"].default


async def invite_many(tenant: Tenant, total: int, done: list[str]) -> None:
    """`total` invitations through the API, a few at a time; ids of the users created."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(total):
        queue.put_nowait(n)

    async def admin() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            user = await tenant.invite(f"cut-{n}-{uuid.uuid4().hex[:6]}@example.com")
            done.append(user["id"])

    await asyncio.gather(*(admin() for _ in range(CONCURRENT)))


async def test_a_broker_cut_during_1000_changes_loses_nothing_and_repeats_only_the_unconfirmed(
    directory_process: ServiceProcess, broker_proxy: FaultProxy, spy: BusSpy, private_vhost: str
) -> None:
    directory = directory_process
    async with running(directory):
        await directory.healthy()
        await directory.broker_connected()
        tenant = await tenant_on(directory, private_vhost)
        created: list[str] = []
        changes = asyncio.create_task(invite_many(tenant, CHANGES, created))
        await wait_until(lambda: len(created) >= CUT_AFTER, 60, f"{CUT_AFTER} changes")
        await broker_proxy.outage()
        cut_at, changes_at_cut = time.monotonic(), len(created)
        await asyncio.sleep(OUTAGE_SECONDS)
        changes_during_outage = len(created) - changes_at_cut
        await broker_proxy.heal()
        healed_at = time.monotonic()
        await changes
        last_change_at = time.monotonic()
        await wait_until(
            lambda: len(user_events(spy)) >= CHANGES, 90, f"{CHANGES} user events on the bus"
        )
        caught_up = time.monotonic() - last_change_at
        await asyncio.sleep(1.0)  # anything published twice would show by now
        pending = await count(
            directory.env["DATABASE_URL"], "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )
        events = [e for e in user_events(spy) if e.body["subject"] != str(tenant.admin_id)]
        ids = [seen.message_id for seen in events]
        subjects = {seen.body["subject"] for seen in events}
        report(
            "broker cut during changes",
            changes=len(created),
            changes_during_outage=changes_during_outage,
            outage_s=round(healed_at - cut_at, 1),
            connections_cut=broker_proxy.counts.cut,
            user_events=len(events),
            distinct_ids=len(set(ids)),
            duplicates=len(ids) - len(set(ids)),
            lost=len(set(created) - subjects),
            bus_behind_last_change_s=round(caught_up, 1),
            outbox_pending=pending,
            restarts=len(directory.runs) - 1,
        )
        assert len(created) == CHANGES
        assert changes_during_outage > 0, "the API must keep answering while the broker is away"
        assert subjects == set(created), "every change answered by the API reaches the bus"
        assert len(set(ids)) == CHANGES, "one event per change"
        assert_copies_only_of_unconfirmed(events, broker_proxy.counts.cut)
        assert pending == 0
        assert directory.process is not None
        assert directory.process.poll() is None
        assert len(directory.runs) == 1


def assert_copies_only_of_unconfirmed(events: list[Seen], connections_cut: int) -> None:
    """A message seen twice is the same event sent again (same id, same bytes), and there
    are no more copies than publications that could await their confirm at the cut."""
    copies = Counter(seen.message_id for seen in events)
    sent_again = {message_id for message_id, times in copies.items() if times > 1}
    for message_id in sent_again:
        first, *again = [seen.body for seen in events if seen.message_id == message_id]
        assert all(body == first for body in again), f"{message_id} sent again, changed"
    extra = sum(copies.values()) - len(copies)
    assert extra <= AWAITING_CONFIRM * connections_cut, (
        f"{extra} copies: more than the publications awaiting their confirm at the cut"
    )


def user_events(spy: BusSpy) -> list[Seen]:
    return [seen for seen in spy.seen if seen.routing_key.startswith("user.")]
