"""Send every user's current snapshot again (`user.republished`), so that a projection kept
by another service (the exports') can be rebuilt: its consumers keep a snapshot only when it
is newer than theirs, so what they have stays and what they miss comes back.

The tenant's custom-field definitions go first (`custom_field.republished`), so that a
projection knows every field, including those no user has a value for.

Each batch is written to the outbox in one transaction while the next one is read (in
another), and the relay publishes them as it does every event. Nothing about the users changes."""

import uuid
from dataclasses import dataclass
from typing import Any

from services.directory.db import custom_fields as fields_db
from services.directory.db import republish as republish_db
from services.directory.db.snapshots import snapshots_data_of
from services.directory.domain.custom_fields import published_definition
from services.directory.usecases.common import announce_field
from shared.contracts import CloudEvent, new_event
from shared.contracts.custom_fields import CUSTOM_FIELD_REPUBLISHED
from shared.contracts.users import USER_REPUBLISHED
from shared.unit_of_work import UnitOfWork

SOURCE = "/services/directory"


@dataclass(frozen=True)
class Batch:
    tenant_id: uuid.UUID
    events: tuple[CloudEvent[Any], ...]
    last_id: uuid.UUID | None  # where the next batch starts; None: the tenant is done

    @property
    def users(self) -> int:
        return len(self.events)


async def tenants_to_republish(uow: UnitOfWork, slug: str | None) -> list[uuid.UUID]:
    return await republish_db.tenant_ids(uow.session, slug)


async def republish_fields(uow: UnitOfWork, tenant_id: uuid.UUID) -> int:
    """The tenant's field definitions sent again; how many."""
    fields = await fields_db.list_fields(uow.session, tenant_id)
    for field in fields:
        announce_field(uow, CUSTOM_FIELD_REPUBLISHED, published_definition(tenant_id, field))
    return len(fields)


async def read_batch(
    uow: UnitOfWork, tenant_id: uuid.UUID, after: uuid.UUID | None, size: int
) -> Batch:
    """The next `size` users' events, built but not written: the caller writes a batch
    (`write_batch`, its own transaction) while it reads the next one."""
    users = await republish_db.users_after(uow.session, tenant_id, after, size)
    # Plain data, not validated again: the snapshots' contract is checked by their consumers.
    snapshots = await snapshots_data_of(uow.session, users)
    events = tuple(
        new_event(
            USER_REPUBLISHED,
            source=SOURCE,
            tenant_id=tenant_id,
            subject=str(s["id"]),
            version=s["version"],
            data=s,
        )
        for s in snapshots
    )
    last = users[-1].id if len(users) == size else None
    return Batch(tenant_id, events, last)


def write_batch(uow: UnitOfWork, batch: Batch) -> None:
    uow.emit(*batch.events)
