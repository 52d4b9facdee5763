"""Two replicas of every service under a stream of work (invitations, the e-mails, bounce
reports, REST-hook deliveries), and one replica of each consumer service SIGKILLed once a
third of the e-mails went out: every effect still happens exactly once.

- invitations: each user gets one e-mail (one Message-ID, one link). An e-mail the killed
  replica had handed to the SMTP server but not yet recorded goes out again after its
  claim runs out, as the very same message (same Message-ID): the receiving server
  drops it. Such copies are counted and bounded by what the killed replica held.
- bounces: each provider report becomes one `email.bounced` event, whichever replica took
  it, including the reports retried on the other replica after the kill; the directory
  shows every one.
- webhooks: each user's `user.created` reaches the hook with one webhook-id, even those
  the killed replica had claimed (another replica sends them after the lease).
- exports: each export requested (CSV and XLSX, before and after the kill) is built and
  stored once: one file each in the shared folder, one `export.completed` each, even for
  a job the killed replica had under way (another replica takes it after its lease)."""

import asyncio
from collections.abc import Callable
from pathlib import Path

from tests.faults.support import report
from tests.faults.system import (
    DELIVERY_LEASE_SECONDS,
    SEND_IN_FLIGHT,
    SEND_WORKERS,
    Stream,
    bounce_events,
    bounced_users,
    copies,
    deliveries_per_user,
    emails_per_user,
    export_events,
    exports_done,
    replicated_system,
)
from tests.support.bus import BusSpy
from tests.support.exports import files_in
from tests.support.infra import Infrastructure
from tests.support.webhooks import HookReceiver

USERS = 90
KILLED = ("invitations", "bounces", "webhooks", "exports")  # one replica of each consumer service


async def test_one_replica_of_each_consumer_killed_midway_every_effect_happens_once(
    own_server: Infrastructure,
    private_vhost: str,
    spy: BusSpy,
    hook_receiver: HookReceiver,
    tmp_path: Path,
) -> None:
    async with replicated_system(own_server, private_vhost, tmp_path) as system:
        stream = Stream(system, hook_receiver, USERS)
        await stream.prepare()
        mailed_at_kill: list[int] = []

        async def kill_one_of_each() -> None:
            mailed_at_kill.append(len(stream.mailed()))
            for name in KILLED:
                system.replicas[name][1].kill()

        await stream.run(midway=kill_one_of_each)
        await _until(
            lambda: len(deliveries_per_user(stream)) >= USERS,
            lambda: f"users with a delivery: {len(deliveries_per_user(stream))}",
            within=DELIVERY_LEASE_SECONDS + 60,
        )
        bounced = len(stream.reports)
        await _until(
            lambda: len(bounce_events(spy)) >= bounced,
            lambda: f"bounces published: {len(bounce_events(spy))} of {bounced}",
        )
        while await bounced_users(system.databases["directory"]) < bounced:
            await asyncio.sleep(0.2)
        exports = await exports_done(system, stream.export_ids)
        await _until(
            lambda: len(export_events(spy)) >= len(exports),
            lambda: f"exports published: {len(export_events(spy))} of {len(exports)}",
        )
        await asyncio.sleep(2.0)  # a duplicate would show by now

        per_user, per_report = emails_per_user(system.smtp), bounce_events(spy)
        hooks, sent = deliveries_per_user(stream), copies(system.smtp)
        report(
            "replicas killed",
            users=USERS,
            mailed_at_kill=mailed_at_kill,
            emails=len(system.smtp.received),
            resent_same_message=sum(n - 1 for n in sent.values()),
            bounce_reports=bounced,
            bounce_events=sum(len(ids) for ids in per_report.values()),
            hook_deliveries=len(hook_receiver.accepted(stream.hook_path)),
            exports=len(exports),
            export_files=len(files_in(system.export_dir)),
        )
        assert set(per_user) == {address.lower() for address in stream.invited}
        assert all(len(ids) == 1 for ids in per_user.values()), "one e-mail (Message-ID) each"
        # copies of one message only for what the killed replica held under way
        assert sum(n - 1 for n in sent.values()) <= SEND_WORKERS * SEND_IN_FLIGHT
        assert set(per_report) == {r.event_id for r in stream.reports.values()}
        assert all(len(ids) == 1 for ids in per_report.values()), "each report published once"
        assert await bounced_users(system.databases["directory"]) == bounced
        assert len(hooks) == USERS
        assert all(len(ids) == 1 for ids in hooks.values()), "one webhook-id per user"
        assert set(exports.values()) == {"done"}
        assert len(files_in(system.export_dir)) == len(exports), "one file per export"
        assert set(export_events(spy)) == set(exports)
        assert all(len(ids) == 1 for ids in export_events(spy).values()), "built once each"


async def _until(check: Callable[[], bool], what: Callable[[], str], within: float = 60) -> None:
    try:
        async with asyncio.timeout(within):
            while not check():
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"{what()}: not within {within} s") from None
