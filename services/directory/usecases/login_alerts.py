"""Telling a user by e-mail that logins to their account keep failing
(`login.failures_noticed`: the invitations service writes and sends the e-mail)."""

import uuid
from datetime import datetime

from services.directory.db import tenants as tenants_db
from services.directory.db.models import User
from services.directory.usecases.unit_of_work import SOURCE, DirectoryUnitOfWork
from shared.contracts import new_event
from shared.contracts.accounts import LOGIN_FAILURES_NOTICED, LoginFailuresNoticed


async def alert_user(uow: DirectoryUnitOfWork, user: User, failures: int, now: datetime) -> None:
    tenant = await tenants_db.get_tenant(uow.session, user.tenant_id)
    if tenant is None:
        return
    notice = LoginFailuresNoticed(
        request_id=uuid.uuid4(),
        user_id=user.id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        locale=user.locale,
        tenant_slug=tenant.slug,
        tenant_name=tenant.name,
        requested_at=now,
        failures=failures,
    )
    uow.emit(
        new_event(
            LOGIN_FAILURES_NOTICED,
            source=SOURCE,
            tenant_id=tenant.id,
            subject=str(user.id),
            data=notice,
        )
    )
