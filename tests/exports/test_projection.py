"""The exports' copy of the users: fed by `user.*` snapshots, a newer version replaces an
older one, never the reverse (duplicates and messages out of order change nothing)."""

import uuid

from shared.contracts.users import UserStatus
from tests.support.bus import EventPublisher
from tests.support.exports import ExportsStack, SnapshotMaker, until


async def test_the_newest_version_wins_whatever_the_order(
    exports_stack: ExportsStack, events: EventPublisher
) -> None:
    tenant = uuid.uuid4()
    make = SnapshotMaker(tenant)
    first = make.user(first_name="Léa", version=1)
    third = first.model_copy(update={"first_name": "Léa-3", "version": 3})
    second = first.model_copy(update={"first_name": "Léa-2", "version": 2})
    await events.publish("user.created", tenant, first, subject=str(first.id))
    await exports_stack.wait_projected(tenant, 1)
    await events.publish("user.updated", tenant, third, subject=str(first.id))
    await events.publish("user.updated", tenant, second, subject=str(first.id))  # late
    await events.publish("user.updated", tenant, second, subject=str(first.id))  # and twice

    async def name() -> tuple[str, int]:
        row = await exports_stack.sql.fetchrow(
            "SELECT first_name, version FROM export_users WHERE tenant_id = $1", tenant
        )
        assert row is not None
        return row["first_name"], row["version"]

    await until(name, lambda found: found == ("Léa-3", 3))
    # One more event behind the late ones: once it is in, they were all handled.
    later = make.user(version=1)
    await events.publish("user.created", tenant, later, subject=str(later.id))
    await exports_stack.wait_projected(tenant, 2)
    assert await name() == ("Léa-3", 3)
    assert await exports_stack.projected(tenant) == 2


async def test_every_snapshot_event_feeds_it_and_fields_are_remembered(
    exports_stack: ExportsStack, events: EventPublisher
) -> None:
    tenant = uuid.uuid4()
    make = SnapshotMaker(tenant)
    kinds = ("user.created", "user.activated", "user.deactivated", "user.republished")
    users = [
        make.user(fields=[("department", "text", "TI"), ("seniority", "number", 3)]) for _ in kinds
    ]
    for kind, user in zip(kinds, users, strict=True):
        await events.publish(kind, tenant, user, subject=str(user.id))
    await exports_stack.wait_projected(tenant, len(kinds))
    fields = await exports_stack.sql.fetch(
        "SELECT key, type FROM export_fields WHERE tenant_id = $1 ORDER BY position", tenant
    )
    assert [(f["key"], f["type"]) for f in fields] == [
        ("department", "text"),
        ("seniority", "number"),
    ]
    status = await exports_stack.sql.fetchval(
        "SELECT status FROM export_users WHERE id = $1", users[0].id
    )
    assert status == UserStatus.INVITED.value


async def test_a_snapshot_of_another_tenant_than_its_envelope_is_refused(
    exports_stack: ExportsStack, events: EventPublisher
) -> None:
    tenant, other = uuid.uuid4(), uuid.uuid4()
    sneaky = SnapshotMaker(other).user()
    await events.publish("user.created", tenant, sneaky, subject=str(sneaky.id))
    honest = SnapshotMaker(tenant).user()
    await events.publish("user.created", tenant, honest, subject=str(honest.id))
    await exports_stack.wait_projected(tenant, 1)
    assert await exports_stack.projected(other) == 0
