"""The invitee chooses a password: the invitation is accepted, once. A password-reset
link goes the same way (the directory hears `password_reset.completed`).

Two transactions with the password hashed between them (argon2id takes tens of
milliseconds of CPU in a thread: no row is locked, no connection held meanwhile): the
first counts the submission against its allowances and finds the link, the second
accepts under the invitation's row lock (two submissions at once accept once)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.invitations.db import invitations as invitations_db
from services.invitations.db import throttle as throttle_db
from services.invitations.domain.links import LinkedInvitation, RevokeReason, usable
from services.invitations.domain.password_form import FormProblem, form_problems
from services.invitations.domain.throttle import wait_needed
from services.invitations.usecases import UnitsOfWork, events
from services.invitations.usecases.open_invitation import find_invitation, open_invitation
from shared.errors import Invalid, RateLimited
from shared.security.passwords import hash_password_async
from shared.security.sealing import seal
from shared.security.tokens import token_hash
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class AcceptRules:
    attempts_per_link: int
    attempts_per_client: int
    throttle_window: timedelta
    sealing_public_key: str  # the directory's: only it can open the hash


@dataclass(frozen=True)
class PasswordChoice:
    token: str
    client: str  # the submitting client's address, for its own allowance
    password: str
    confirmation: str


class PasswordRejected(Invalid):
    """The password breaks the form's rules: `problems` says which, `invitation` is the
    one the form is shown again for."""

    def __init__(self, invitation: LinkedInvitation, problems: list[FormProblem]) -> None:
        super().__init__(
            "The password does not follow the rules.",
            errors=[{"field": "password", "problem": p.value} for p in problems],
        )
        self.invitation = invitation
        self.problems = problems


async def choose_password(
    units: UnitsOfWork, choice: PasswordChoice, rules: AcceptRules, now: datetime
) -> LinkedInvitation:
    """Raises RateLimited, LinkExpired (Gone), NotFound or PasswordRejected (Invalid)."""
    async with units() as uow:  # committed even when refused: the count must stay
        wait = await _count_submission(uow, choice, rules, now)
        invitation = None if wait else await find_invitation(uow, choice.token)
    if wait:
        raise RateLimited("Too many attempts.", retry_after=wait)
    invitation = usable(invitation, now)
    if problems := form_problems(choice.password, choice.confirmation, email=invitation.email):
        raise PasswordRejected(invitation, problems)
    sealed = seal(await hash_password_async(choice.password), rules.sealing_public_key)
    async with units() as uow:
        return await _accept(uow, choice.token, sealed, now)


async def _count_submission(
    uow: UnitOfWork, choice: PasswordChoice, rules: AcceptRules, now: datetime
) -> timedelta | None:
    """Count this submission against each allowance; the longest wait if one is spent."""
    allowances = (
        (f"link:{token_hash(choice.token).hex()}", rules.attempts_per_link),
        (f"client:{choice.client}", rules.attempts_per_client),
    )
    waits = []
    for key, limit in allowances:
        count, started = await throttle_db.count_hit(uow.session, key, now, rules.throttle_window)
        waits.append(wait_needed(count, limit, started, rules.throttle_window, now))
    return max((wait for wait in waits if wait is not None), default=None)


async def _accept(uow: UnitOfWork, token: str, sealed_hash: str, now: datetime) -> LinkedInvitation:
    """Use the link (once): the invitation is accepted, every other link of the user
    dies, and the directory hears `invitation.accepted`."""
    invitation = await open_invitation(uow, token, now, for_update=True)
    await invitations_db.mark_accepted(
        uow.session, invitation.tenant_id, invitation.invitation_id, now
    )
    await invitations_db.revoke_open(
        uow.session,
        invitation.tenant_id,
        invitation.user_id,
        RevokeReason.ACCEPTED,
        now,
        keep=invitation.invitation_id,
    )
    if invitation.is_password_reset:
        uow.emit(events.password_reset_completed(invitation, sealed_hash, now))
    else:
        uow.emit(events.accepted(invitation, sealed_hash, now))
    return invitation
