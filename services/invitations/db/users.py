"""The latest user snapshot seen on the bus, kept only to know who left or moved."""

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.db.models import KnownUser
from shared.contracts.users import UserSnapshot, UserStatus


async def remember_if_newer(session: AsyncSession, user: UserSnapshot) -> bool:
    """Store the snapshot unless a newer (or the same) version is stored; True if stored."""
    values = {
        "tenant_id": user.tenant_id,
        "user_id": user.id,
        "version": user.version,
        "email": user.email,
        "deactivated": user.status is UserStatus.DEACTIVATED,
        "updated_at": user.updated_at,
    }
    statement = insert(KnownUser).values(values)
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[KnownUser.tenant_id, KnownUser.user_id],
            set_={k: statement.excluded[k] for k in values if k not in ("tenant_id", "user_id")},
            where=KnownUser.version < statement.excluded.version,
        ).returning(KnownUser.version)
    )
    return result.first() is not None
