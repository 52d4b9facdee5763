"""A tenant's users in the exports' projection, put there as the directory's events would."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from shared.contracts.users import UserSnapshot
from tests.support.bus import EventPublisher
from tests.support.exports import ExportsStack, SnapshotMaker


@dataclass
class Population:
    tenant_id: uuid.UUID
    make: SnapshotMaker
    stack: ExportsStack
    events: EventPublisher
    admin_id: uuid.UUID

    async def add(self, users: Sequence[UserSnapshot]) -> None:
        before = await self.stack.projected(self.tenant_id)
        for user in users:
            await self.events.publish("user.created", self.tenant_id, user, subject=str(user.id))
        await self.stack.wait_projected(self.tenant_id, before + len(users))


@pytest.fixture
def population(exports_stack: ExportsStack, events: EventPublisher) -> Population:
    tenant = uuid.uuid4()
    return Population(tenant, SnapshotMaker(tenant), exports_stack, events, uuid.uuid4())
