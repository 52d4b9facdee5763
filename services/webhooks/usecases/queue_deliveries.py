"""An event arrived on the bus: keep its payload (Zapier's samples) and queue one
delivery per active subscription, in the consumer's transaction (the inbox makes a
redelivered message change nothing)."""

from typing import Any

from services.webhooks.db import events as events_db
from services.webhooks.db import known_users as users_db
from services.webhooks.domain.payloads import deliveries_for, user_ordering_key
from shared.contracts import CloudEvent
from shared.contracts.users import UserSnapshot
from shared.errors import Invalid
from shared.unit_of_work import UnitOfWork


async def queue_deliveries(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    previous, locked = None, set()
    if isinstance(event.data, UserSnapshot):
        previous = await _previous_snapshot(uow, event, event.data)
        locked.add(user_ordering_key(event.data.id))
    for delivery in deliveries_for(event, previous):
        if delivery.ordering_key not in locked:
            await events_db.lock_ordering_key(uow.session, event.tenantid, delivery.ordering_key)
            locked.add(delivery.ordering_key)
        await events_db.store_and_queue(uow.session, delivery)


async def _previous_snapshot(
    uow: UnitOfWork, event: CloudEvent[Any], user: UserSnapshot
) -> UserSnapshot | None:
    """The user's snapshot before this one (to see a new role), and keep this one."""
    if user.tenant_id != event.tenantid:
        # Delivered to the envelope's tenant, the snapshot would reach another tenant's hooks.
        raise Invalid(f"the snapshot's tenant {user.tenant_id} is not the event's {event.tenantid}")
    await events_db.lock_ordering_key(uow.session, user.tenant_id, user_ordering_key(user.id))
    known = await users_db.find_user(uow.session, user.tenant_id, user.id)
    await users_db.remember(uow.session, user, event.type, event.id, event.time)
    return UserSnapshot.model_validate(known.snapshot) if known else None
