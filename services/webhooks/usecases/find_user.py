"""Zapier's search "find a user by e-mail", answered from the users this service has
seen on the bus, in the flat shape of the user events."""

from datetime import datetime

from services.webhooks.db import known_users as users_db
from services.webhooks.domain.callers import Caller
from services.webhooks.domain.events import WebhookEvent
from services.webhooks.domain.payloads import Payload, user_payload
from shared.contracts.users import UserSnapshot
from shared.unit_of_work import UnitOfWork


async def find_user_by_email(uow: UnitOfWork, caller: Caller, email: str) -> list[Payload]:
    found = await users_db.find_by_email(uow.session, caller.tenant_id, email.strip())
    if found is None:
        return []
    snapshot = UserSnapshot.model_validate(found.snapshot)
    return [_as_payload(WebhookEvent(found.event), found.event_id, found.occurred_at, snapshot)]


def _as_payload(
    event: WebhookEvent, event_id: str, occurred_at: datetime, user: UserSnapshot
) -> Payload:
    """The payload of the event that brought the latest snapshot."""
    return user_payload(event, event_id, occurred_at, user)
