import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import users as users_db
from services.directory.db.models import User
from shared.messaging.consumer import PermanentError


async def user_for_update(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = await users_db.get_user(session, tenant_id, user_id, for_update=True)
    if user is None:
        raise PermanentError(f"no user {user_id} in tenant {tenant_id}")
    return user
