"""The user chose a password on the invitation page: the account becomes active.

The password hash arrives sealed for the directory (`shared.security.sealing`); only the
directory's private keys open it. A user deactivated meanwhile keeps the password for a
reactivation but stays deactivated.
"""

import uuid
from collections.abc import Sequence

from services.directory.db.activities import record_activity
from services.directory.domain.users import UserChange
from services.directory.usecases.common import user_reported
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.invitations import INVITATION_ACCEPTED, InvitationAccepted
from shared.contracts.users import InvitationState, UserStatus
from shared.errors import Invalid
from shared.logging import get_logger
from shared.security.passwords import is_argon2id_hash
from shared.security.sealing import SealedBoxError, open_sealed

log = get_logger(__name__)


def open_password_hash(accepted: InvitationAccepted, sealing_keys: Sequence[str]) -> str:
    try:
        password_hash = open_sealed(accepted.sealed_password_hash, sealing_keys)
    except SealedBoxError as error:
        raise Invalid(f"{INVITATION_ACCEPTED}: the password hash: {error}") from error
    if not is_argon2id_hash(password_hash):
        raise Invalid(f"{INVITATION_ACCEPTED} carries no argon2id password hash")
    return password_hash


async def accept_invitation(
    uow: DirectoryUnitOfWork,
    tenant_id: uuid.UUID,
    event_id: str,
    accepted: InvitationAccepted,
    sealing_keys: Sequence[str],
) -> None:
    password_hash = open_password_hash(accepted, sealing_keys)
    user = await user_reported(uow.session, tenant_id, accepted.user_id)
    if user.status is UserStatus.ACTIVE:
        log.warning("invitation accepted by an already active user; ignored")
        return
    user.password_hash = password_hash
    user.invitation_state = InvitationState.ACCEPTED
    user.invitation_accepted_at = accepted.accepted_at
    record_activity(
        uow.session,
        user.tenant_id,
        user.id,
        INVITATION_ACCEPTED,
        occurred_at=accepted.accepted_at,
        source_event_id=event_id,
    )
    if user.status is UserStatus.DEACTIVATED:
        uow.user_changed(user)  # the password waits for a reactivation
        return
    user.status = UserStatus.ACTIVE
    user.activated_at = accepted.accepted_at
    uow.user_changed(user, UserChange.ACTIVATED)
