"""`password_reset.*` and `login.*` events: the directory asks the invitations service to
mail a user about their account (a password-reset link, a warning about failed logins),
and hears back the password they chose."""

import uuid
from datetime import datetime

from shared.contracts.envelope import Contract
from shared.contracts.users import Locale

PASSWORD_RESET_REQUESTED = "password_reset.requested"  # noqa: S105 - an event type
PASSWORD_RESET_COMPLETED = "password_reset.completed"  # noqa: S105 - an event type
LOGIN_FAILURES_NOTICED = "login.failures_noticed"


class AccountMailRequest(Contract):
    """Who to mail, in which language, on behalf of which platform."""

    request_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    locale: Locale
    tenant_slug: str
    tenant_name: str
    requested_at: datetime


class PasswordResetRequested(AccountMailRequest):
    """Mail the user a single-use link (valid one hour) to choose a new password. The user
    asked (`requested_by` null) or an administrator did. One request, at most one e-mail;
    a newer request makes older links useless."""

    requested_by: uuid.UUID | None


class PasswordResetCompleted(Contract):
    """The user chose a new password through a reset link. The hash travels sealed for
    the directory (`shared.security.sealing`), as in `invitation.accepted`."""

    request_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    sealed_password_hash: str
    completed_at: datetime


class LoginFailuresNoticed(AccountMailRequest):
    """Logins to the account kept failing (`failures` in a row, from devices
    it never logged in from): tell the user, who may want to change their password."""

    failures: int
