"""Opening an invitation link: the invitation it belongs to, if the link can be used."""

from datetime import datetime

from services.invitations.db import deliveries as deliveries_db
from services.invitations.domain.links import (
    LinkedInvitation,
    token_has_valid_shape,
    usable,
)
from shared.security.tokens import token_hash
from shared.unit_of_work import UnitOfWork


async def open_invitation(
    uow: UnitOfWork, token: str, now: datetime, *, for_update: bool = False
) -> LinkedInvitation:
    """Raises `LinkExpired` (Gone) for an expired link, `NotFound` for a used, revoked,
    unknown or malformed one: one answer for all, so a link's fate can't be probed."""
    return usable(await find_invitation(uow, token, for_update=for_update), now)


async def find_invitation(
    uow: UnitOfWork, token: str, *, for_update: bool = False
) -> LinkedInvitation | None:
    """None for a link that is not (or no longer) in any e-mail."""
    if not token_has_valid_shape(token):
        return None
    return await deliveries_db.find_by_token(uow.session, token_hash(token), for_update=for_update)
