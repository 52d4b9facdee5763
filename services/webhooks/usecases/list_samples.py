"""Zapier's performList: the tenant's latest real payloads of an event, newest first, in
the very shape deliveries have; a made-up one while the tenant has none yet."""

from services.webhooks.db import events as events_db
from services.webhooks.domain.callers import Caller
from services.webhooks.domain.events import parse_event
from services.webhooks.domain.payloads import Payload
from services.webhooks.domain.samples import sample_payload
from shared.errors import Invalid
from shared.unit_of_work import UnitOfWork

RECENT = 10


async def list_samples(uow: UnitOfWork, caller: Caller, event_name: str) -> list[Payload]:
    try:
        event = parse_event(event_name)
    except ValueError as unknown:
        raise Invalid(str(unknown), errors=[{"field": "event", "message": str(unknown)}]) from None
    recent = await events_db.recent_payloads(uow.session, caller.tenant_id, event, RECENT)
    if recent:
        return list(recent)
    return [sample_payload(event) | {"tenant_id": str(caller.tenant_id)}]
