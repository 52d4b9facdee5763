"""Any event a hook may want: queue its deliveries."""

from typing import Any

from services.webhooks.usecases.queue_deliveries import queue_deliveries
from shared.contracts import CloudEvent
from shared.unit_of_work import UnitOfWork


async def on_event(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await queue_deliveries(uow, event)
