"""An administrator lifts the suppression of one address: it may be mailed again, and
bounces that happened before no longer count. Audited: `suppression.lifted` names the
administrator (the directory shows it in the activity of the user with the address)."""

from datetime import UTC, datetime

from services.invitations.db import bounce_counters, suppressions
from services.invitations.domain import suppression
from services.invitations.domain.addresses import normalize_email
from services.invitations.usecases import events
from shared.errors import Invalid, NotFound
from shared.logging import get_logger
from shared.security.access_tokens import Principal
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)


async def lift_suppression(uow: UnitOfWork, admin: Principal, email: str) -> None:
    address = normalize_email(email)
    if not address:
        raise Invalid("Say which address to lift: the e-mail address is missing.")
    streak = await bounce_counters.lock_streak(uow.session, admin.tenant_id, address)
    listed = await suppressions.listing(uow.session, admin.tenant_id, address)
    if listed is None:
        raise NotFound(f"{email.strip()} is not on the suppression list.")
    now = datetime.now(UTC)
    await suppressions.remove(uow.session, admin.tenant_id, address)
    await bounce_counters.store_streak(
        uow.session, admin.tenant_id, address, suppression.after_lift(streak, now)
    )
    uow.emit(events.suppression_lifted(admin.tenant_id, address, listed, now, admin.user_id))
    log.info(
        "suppression lifted by an administrator",
        admin_id=str(admin.user_id),
        cause=listed.cause.value,
    )
