"""Telling a user by e-mail that logins to their account keep failing
(`login.failures_noticed`: the invitations service writes and sends the e-mail)."""

from datetime import datetime

from services.directory.db import tenants as tenants_db
from services.directory.db.models import User
from services.directory.usecases.common import request_account_mail
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.accounts import LOGIN_FAILURES_NOTICED, LoginFailuresNoticed


async def alert_user(uow: DirectoryUnitOfWork, user: User, failures: int, now: datetime) -> None:
    tenant = await tenants_db.get_tenant(uow.session, user.tenant_id)
    if tenant is None:
        return
    request_account_mail(
        uow, LOGIN_FAILURES_NOTICED, LoginFailuresNoticed, tenant, user, now, failures=failures
    )
