"""An invitation was requested (first or again): record it, revoke older links, queue the e-mail."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from services.invitations.db import invitations as invitations_db
from services.invitations.db.requests import record_requests
from services.invitations.domain.emails import MailKind
from services.invitations.domain.links import RevokeReason
from shared.contracts.invitations import InvitationRequested
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)


async def request_invitation(
    uow: UnitOfWork, tenant_id: uuid.UUID, request: InvitationRequested
) -> None:
    """One request gives at most one e-mail, however often it is delivered to us. Requests
    may arrive out of order: only the newest one of a user is sent, older links die."""
    await request_invitations(uow, [(tenant_id, request)])


async def request_invitations(
    uow: UnitOfWork, requests: Sequence[tuple[uuid.UUID, InvitationRequested]]
) -> None:
    """Many requests (a bulk invitation arrives as thousands), in their order, with a few
    statements: each user's lock, then one statement per round of requests in which no
    user appears twice (a user's second request must see what the first one did)."""
    await invitations_db.lock_users(
        uow.session, [(tenant_id, request.user_id) for tenant_id, request in requests]
    )
    for round_ in _rounds(requests):
        now = datetime.now(UTC)
        recorded = await record_requests(
            uow.session,
            [(tenant_id, request, MailKind.INVITATION) for tenant_id, request in round_],
            RevokeReason.SUPERSEDED,
            now,
        )
        for (tenant_id, request), outcome in zip(round_, recorded, strict=True):
            if not outcome.recorded:
                log.info("invitation request already recorded", request_id=str(request.request_id))
            elif not outcome.queued:
                await invitations_db.mark_revoked(
                    uow.session, tenant_id, request.request_id, RevokeReason.SUPERSEDED, now
                )


def _rounds(
    requests: Sequence[tuple[uuid.UUID, InvitationRequested]],
) -> list[list[tuple[uuid.UUID, InvitationRequested]]]:
    """A user's n-th request goes in the n-th round: each round holds a user once, and a
    user's requests keep their order."""
    rounds: list[list[tuple[uuid.UUID, InvitationRequested]]] = []
    seen: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    for tenant_id, request in requests:
        index = seen.get((tenant_id, request.user_id), 0)
        seen[(tenant_id, request.user_id)] = index + 1
        if index == len(rounds):
            rounds.append([])
        rounds[index].append((tenant_id, request))
    return rounds
