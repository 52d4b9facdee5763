"""What only the audit needs on top of the root fixtures: a tenant seen from the rest of the
platform (`lms`)."""

import pytest

from tests.support.bus import BusSpy, EventPublisher
from tests.support.directory import Lms, Tenant


@pytest.fixture
def lms(tenant: Tenant, bus: BusSpy, events: EventPublisher, amqp_url: str) -> Lms:
    return Lms(tenant, bus, events, amqp_url)
