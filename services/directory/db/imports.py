"""Uploaded imports and their rows: written with COPY (a 100,000-row file in one pass),
read a page at a time, and handed to the apply job a batch at a time."""

import json
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, any_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import arrays
from services.directory.db.job_tables import ImportRowRecord, Job, UserImport
from services.directory.db.models import Group, Role, User, UserGroup
from services.directory.domain.import_rows import RowPlan
from services.directory.domain.jobs import ItemOutcome
from shared.db import text_array, uuid_array

ROW_COLUMNS = (
    "tenant_id",
    "import_id",
    "row_number",
    "email",
    "cells",
    "plan",
    "changes",
    "message",
)
RowRecord = tuple[uuid.UUID, uuid.UUID, int, str, dict[str, Any], RowPlan, list[str], str | None]


def add_import(session: AsyncSession, **values: Any) -> UserImport:
    record = UserImport(**values)
    session.add(record)
    return record


async def copy_rows(session: AsyncSession, rows: Sequence[RowRecord]) -> None:
    """The rows, through COPY: a round trip per batch, not per row."""
    connection = await (await session.connection()).get_raw_connection()
    driver = connection.driver_connection
    assert driver is not None
    records = [
        (t, i, n, email, json.dumps(cells, default=str), plan.value, json.dumps(changes), message)
        for t, i, n, email, cells, plan, changes, message in rows
    ]
    await driver.copy_records_to_table(
        "user_import_rows", records=records, columns=list(ROW_COLUMNS)
    )


async def get_import(
    session: AsyncSession, tenant_id: uuid.UUID, import_id: uuid.UUID, *, for_update: bool = False
) -> UserImport | None:
    query = select(UserImport).where(UserImport.tenant_id == tenant_id, UserImport.id == import_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_imports(
    session: AsyncSession, tenant_id: uuid.UUID, limit: int
) -> list[tuple[UserImport, Job | None]]:
    """The newest imports, each with its apply's job when it was confirmed."""
    query = (
        select(UserImport, Job)
        .outerjoin(Job, (Job.tenant_id == UserImport.tenant_id) & (Job.id == UserImport.job_id))
        .where(UserImport.tenant_id == tenant_id)
        .order_by(UserImport.created_at.desc())
        .limit(limit)
    )
    return [(record, job) for record, job in (await session.execute(query)).all()]


async def rows_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    import_id: uuid.UUID,
    after_row: int,
    limit: int,
    plan: RowPlan | None,
) -> list[ImportRowRecord]:
    query = select(ImportRowRecord).where(
        ImportRowRecord.tenant_id == tenant_id,
        ImportRowRecord.import_id == import_id,
        ImportRowRecord.row_number > after_row,
    )
    if plan is not None:
        query = query.where(ImportRowRecord.plan == plan)
    query = query.order_by(ImportRowRecord.row_number).limit(limit)
    return list((await session.execute(query)).scalars())


async def rows_to_apply(
    session: AsyncSession, tenant_id: uuid.UUID, import_id: uuid.UUID, limit: int, after: int
) -> list[ImportRowRecord]:
    """The next rows not applied yet, in file order after row `after` (where the last batch
    ended: without it each batch reads past every row applied before), locked."""
    query = (
        select(ImportRowRecord)
        .where(
            ImportRowRecord.tenant_id == tenant_id,
            ImportRowRecord.import_id == import_id,
            ImportRowRecord.row_number > after,
            ImportRowRecord.outcome.is_(None),
        )
        .order_by(ImportRowRecord.row_number)
        .limit(limit)
        .with_for_update()
    )
    return list((await session.execute(query)).scalars())


async def count_rows(session: AsyncSession, tenant_id: uuid.UUID, import_id: uuid.UUID) -> int:
    query = select(func.count()).where(
        ImportRowRecord.tenant_id == tenant_id, ImportRowRecord.import_id == import_id
    )
    return int((await session.execute(query)).scalar_one())


async def all_rows(
    session: AsyncSession, tenant_id: uuid.UUID, import_id: uuid.UUID
) -> AsyncIterator[ImportRowRecord]:
    query = (
        select(ImportRowRecord)
        .where(ImportRowRecord.tenant_id == tenant_id, ImportRowRecord.import_id == import_id)
        .order_by(ImportRowRecord.row_number)
        .execution_options(yield_per=2000)
    )
    async for row in await session.stream_scalars(query):
        yield row


async def users_by_email(
    session: AsyncSession, tenant_id: uuid.UUID, emails: Iterable[str], *, for_update: bool = False
) -> list[tuple[User, bool]]:
    """The users with these (normalized) addresses, each with whether their role is an
    administrative one."""
    query = (
        select(User, Role.is_admin)
        .join(Role, Role.key == User.role)
        .where(User.tenant_id == tenant_id, User.email_normalized == any_(text_array(list(emails))))
    )
    if for_update:
        query = query.order_by(User.id).with_for_update(of=User)
    return [(row[0], bool(row[1])) for row in await session.execute(query)]


async def group_names_of(
    session: AsyncSession, tenant_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, set[str]]:
    """Each user's groups, by lower-case name."""
    if not user_ids:
        return {}
    query = (
        select(UserGroup.user_id, func.lower(Group.name))
        .join(Group, (Group.tenant_id == UserGroup.tenant_id) & (Group.id == UserGroup.group_id))
        .where(UserGroup.tenant_id == tenant_id, UserGroup.user_id == any_(uuid_array(user_ids)))
    )
    names: dict[uuid.UUID, set[str]] = {}
    for user_id, name in await session.execute(query):
        names.setdefault(user_id, set()).add(name)
    return names


async def groups_by_name(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, Group]:
    query = select(Group).where(Group.tenant_id == tenant_id)
    return {g.name.lower(): g for g in (await session.execute(query)).scalars()}


async def role_kinds(session: AsyncSession) -> dict[str, bool]:
    """Every role's key, with whether it is administrative."""
    return {
        key: is_admin for key, is_admin in await session.execute(select(Role.key, Role.is_admin))
    }


async def record_outcomes(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    import_id: uuid.UUID,
    outcomes: Sequence[dict[str, Any]],
) -> None:
    """Each row's outcome (`row_number`, `outcome`, `outcome_message`, `user_id`): one
    UPDATE over the batch's arrays (where an executemany by primary key ran one UPDATE
    per row)."""
    await arrays.update_rows(
        session,
        cast(Table, ImportRowRecord.__table__),
        {"tenant_id": tenant_id, "import_id": import_id},
        [("row_number", "int", [o["row_number"] for o in outcomes])],
        [
            ("outcome", "text", [o["outcome"].value for o in outcomes]),
            ("outcome_message", "text", [o["outcome_message"] for o in outcomes]),
            ("user_id", "uuid", [o["user_id"] for o in outcomes]),
        ],
    )


async def delete_expired(session: AsyncSession, now: datetime, limit: int) -> int:
    """Forget the rows of imports kept past their time (results are kept a week)."""
    expired = (
        select(UserImport.tenant_id, UserImport.id).where(UserImport.expires_at <= now).limit(limit)
    )
    found = list(await session.execute(expired))
    for tenant_id, import_id in found:
        await session.execute(
            delete(ImportRowRecord).where(
                ImportRowRecord.tenant_id == tenant_id, ImportRowRecord.import_id == import_id
            )
        )
        await session.execute(
            delete(UserImport).where(UserImport.tenant_id == tenant_id, UserImport.id == import_id)
        )
    return len(found)


async def fail_next_row(session: AsyncSession, job: Job, reason: str) -> None:
    import_id = uuid.UUID(job.params["import_id"])
    [row] = await rows_to_apply(session, job.tenant_id, import_id, 1, job.params.get("after", 0))
    failed = {"row_number": row.row_number, "outcome": ItemOutcome.FAILED}
    await record_outcomes(
        session,
        job.tenant_id,
        import_id,
        [{**failed, "outcome_message": reason[:500], "user_id": None}],
    )
