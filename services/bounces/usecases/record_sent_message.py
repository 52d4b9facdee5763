"""`invitation.sent`: a message the platform sent goes into the index notices are
matched against; notices that arrived before it (the provider can be faster than the
bus) and were waiting for it are published now."""

import uuid
from datetime import UTC, datetime

from services.bounces.db import locks, sent_messages
from services.bounces.db import notices as notices_db
from services.bounces.domain.addresses import normalize_address, normalize_message_id
from services.bounces.domain.matching import SentMessage, message_rendezvous_keys, waits_for
from services.bounces.usecases.record_notices import record_notices
from shared.errors import Invalid
from shared.unit_of_work import UnitOfWork


async def record_sent_message(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    invitation_id: uuid.UUID | None,
    email: str,
    message_id: str,
    sent_at: datetime,
    is_reminder: bool,
) -> None:
    """Raises Invalid for an address or Message-ID that can't be matched on."""
    try:
        address = normalize_address(email)
    except ValueError:
        raise Invalid(f"{email!r} is not an e-mail address") from None
    our_id = normalize_message_id(message_id)
    if our_id is None:
        raise Invalid(f"{message_id!r} is not a Message-ID")
    message = SentMessage(tenant_id, user_id, invitation_id, address, our_id, sent_at)
    await locks.lock(uow.session, message_rendezvous_keys(message))  # see decide_surely
    await sent_messages.record(uow.session, message, is_reminder=is_reminder)
    waiting = [
        n for n in await notices_db.waiting_for(uow.session, message) if waits_for(n, message)
    ]
    if waiting:
        await record_notices(
            uow, waiting, raw_event_id=None, received_at=datetime.now(UTC), retry_waiting=True
        )
