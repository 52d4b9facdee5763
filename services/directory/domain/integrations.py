"""Rules for what an integration does in the directory: it acts as the administrator who
created its API key, with that administrator's rights as they are now, less the power to
grant an administrative role."""

import dataclasses

from shared.security.access_tokens import Principal
from shared.security.permissions import Permission

ADMIN_NOT_ACTIVE = (
    "The administrator this integration acts for (who created its API key) is no longer an "
    "active user of this platform; ask an active administrator to create a new API key."
)
ADMIN_MAY_NOT_INVITE = (
    "The administrator this integration acts for (who created its API key) may no longer "
    "invite users; ask an administrator who may to create a new API key."
)


def acting_admin_refusal(actor: Principal | None) -> str | None:
    """Why `actor` (None: not an active user of the tenant) can't invite for an
    integration, or None when they can."""
    if actor is None:
        return ADMIN_NOT_ACTIVE
    if not actor.can(Permission.USERS_INVITE):
        return ADMIN_MAY_NOT_INVITE
    return None


def integration_powers(admin: Principal) -> Principal:
    """What an integration may do as `admin`: all they may, except grant an administrative
    role. An API key lives in another system (Zapier); one that leaked must not let its
    holder invite themselves as an administrator of the platform."""
    return dataclasses.replace(
        admin, permissions=admin.permissions - {Permission.ROLES_ASSIGN.value}
    )


REQUEST_ID_REUSED = (
    "This request id (Idempotency-Key, or the Zap step's Deduplication ID) was already used "
    "to invite {earlier}: use a value unique to each user invited."
)


def replay_refusal(earlier_email: str, requested_email: str) -> str | None:
    """A request id seen before answers with the user it invited, but only when it asks for
    the same address (compared normalized): another address means the id was reused."""
    if earlier_email == requested_email:
        return None
    return REQUEST_ID_REUSED.format(earlier=earlier_email)
