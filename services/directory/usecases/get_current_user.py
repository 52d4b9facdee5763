"""The user who is calling, as `/auth/me` shows them."""

from services.directory.db import users as users_db
from services.directory.domain.users import UserRecord
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.errors import Unauthenticated
from shared.security.access_tokens import Principal


async def get_current_user(uow: DirectoryUnitOfWork, principal: Principal) -> UserRecord:
    user = await users_db.get_user(uow.session, principal.tenant_id, principal.user_id)
    if user is None:
        raise Unauthenticated("Authentication required: log in first.")
    return user
