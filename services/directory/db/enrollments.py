import uuid
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db.models import Enrollment
from shared.contracts.lms import EnrollmentChanged


async def upsert_enrollment(
    session: AsyncSession, tenant_id: uuid.UUID, change: EnrollmentChanged
) -> None:
    """Keep the newest state of each enrollment, whatever order the events arrive in."""
    values = {
        "tenant_id": tenant_id,
        "user_id": change.user_id,
        "course_id": change.course_id,
        "course_title": change.course_title,
        "status": change.status,
        "progress_percent": change.progress_percent,
        "enrolled_at": change.occurred_at,
        "updated_at": change.occurred_at,
    }
    statement = insert(Enrollment).values(values)
    excluded = statement.excluded
    newer = Enrollment.updated_at < excluded.updated_at

    def newest(column: str) -> Any:
        return case((newer, excluded[column]), else_=getattr(Enrollment, column))

    # The state comes from the newest event; the enrollment date from the oldest, which
    # may arrive last.
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "user_id", "course_id"],
            set_={
                "course_title": newest("course_title"),
                "status": newest("status"),
                "progress_percent": newest("progress_percent"),
                "updated_at": func.greatest(Enrollment.updated_at, excluded.updated_at),
                "enrolled_at": func.least(Enrollment.enrolled_at, excluded.enrolled_at),
            },
        )
    )


async def enrollments_of(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> list[Enrollment]:
    query = (
        select(Enrollment)
        .where(Enrollment.tenant_id == tenant_id, Enrollment.user_id == user_id)
        .order_by(Enrollment.updated_at.desc())
    )
    return list((await session.execute(query)).scalars())
