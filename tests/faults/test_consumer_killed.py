"""The directory is SIGKILLed three times while it consumes 2,000 learning activities from
the LMS (and restarted each time, as an orchestrator would): every activity is recorded
exactly once — none lost with the process, none applied twice on redelivery."""

import asyncio
import uuid
from datetime import UTC, datetime
from functools import partial

from shared.contracts.lms import LearningActivity
from tests.faults.conftest import tenant_on
from tests.faults.support import ServiceProcess, count, report, running, wait_until
from tests.support.bus import EventPublisher

EVENTS = 2000
KILL_AT = (400, 900, 1400)  # activities recorded when each SIGKILL comes
ACTIVITIES = "SELECT count(*) FROM activities WHERE kind LIKE 'lms.activity.%'"
DISTINCT = "SELECT count(DISTINCT source_event_id) FROM activities WHERE kind LIKE 'lms.activity.%'"


async def publish_activities(amqp_url: str, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    publisher = await EventPublisher(amqp_url).start()
    try:
        for first in range(0, EVENTS, 100):
            await asyncio.gather(
                *(
                    publisher.publish(
                        "lms.activity.viewed",
                        tenant_id,
                        LearningActivity(
                            activity_id=f"kill-{n}",
                            user_id=user_id,
                            title=f"Lesson {n}",
                            occurred_at=datetime.now(UTC),
                        ),
                    )
                    for n in range(first, min(first + 100, EVENTS))
                )
            )
    finally:
        await publisher.stop()


async def test_a_consumer_killed_three_times_applies_each_event_exactly_once(
    directory_process: ServiceProcess, private_vhost: str
) -> None:
    directory = directory_process
    database = directory.env["DATABASE_URL"]
    async with running(directory):
        await directory.healthy()
        await directory.broker_connected()  # its queues exist: nothing published is dropped
        tenant = await tenant_on(directory, private_vhost)
        publishing = asyncio.create_task(
            publish_activities(private_vhost, tenant.id, tenant.admin_id)
        )
        recorded_at_kill: list[int] = []
        for threshold in KILL_AT:
            await wait_until(
                partial(_at_least, database, threshold), 120, f"{threshold} activities"
            )
            directory.kill()
            recorded_at_kill.append(await count(database, ACTIVITIES))
            directory.start()
            await directory.healthy()
        await publishing
        await wait_until(partial(_at_least, database, EVENTS), 120, f"{EVENTS} activities")
        await asyncio.sleep(1.0)  # a redelivered duplicate would be applied by now
        recorded, distinct = await count(database, ACTIVITIES), await count(database, DISTINCT)
        duplicates_ignored = len(directory.lines_with("duplicate message ignored"))
        report(
            "consumer SIGKILLed",
            events=EVENTS,
            kills=len(recorded_at_kill),
            recorded_at_each_kill=recorded_at_kill,
            recorded=recorded,
            distinct=distinct,
            redeliveries_ignored_as_duplicates=duplicates_ignored,
            parked=len(directory.lines_with("parked")),
        )
        assert len(directory.runs) == 1 + len(KILL_AT)
        assert recorded == distinct == EVENTS


async def _at_least(database: str, wanted: int) -> bool:
    return await count(database, ACTIVITIES) >= wanted
