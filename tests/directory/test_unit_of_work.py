"""The directory's unit of work, seen from the bus: one `user.*` event per changed user,
with the snapshot as committed; a user another transaction changed meanwhile is a
conflict to retry, and nothing of the losing change is written or published."""

import uuid
from collections.abc import AsyncIterator

import pytest

from services.directory.db import users as users_db
from services.directory.domain.users import UserChange
from services.directory.settings import DirectorySettings
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.db import Database
from shared.errors import ChangedMeanwhile
from shared.unit_of_work import unit_of_work
from tests.support.directory import Lms


@pytest.fixture
async def database(directory_config: DirectorySettings) -> AsyncIterator[Database]:
    db = Database(directory_config.sqlalchemy_url)
    yield db
    await db.dispose()


async def test_a_user_reported_twice_is_announced_once_by_the_change_that_says_most(
    lms: Lms, database: Database
) -> None:
    user = await lms.invite()
    version = await lms.version(user["id"])

    async with unit_of_work(database, DirectoryUnitOfWork) as uow:
        found = await users_db.get_user(
            uow.session, lms.tenant.id, uuid.UUID(user["id"]), for_update=True
        )
        assert found is not None
        found.first_name = "Renée"
        uow.user_changed(found)
        uow.user_changed(found, UserChange.DEACTIVATED)
        uow.user_changed(found)

    [event] = await lms.bus.wait_for("user.deactivated", subject=user["id"])
    assert event.body["version"] == event.data["version"] == version + 1
    assert event.data["first_name"] == "Renée"
    assert lms.bus.matching("user.updated", subject=user["id"], version=version + 1) == []


async def rename_from_a_stale_read(
    database: Database, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Read the user, let another transaction change it, then change what was read."""
    async with unit_of_work(database, DirectoryUnitOfWork) as first:
        stale = await users_db.get_user(first.session, tenant_id, user_id)
        assert stale is not None
        async with unit_of_work(database, DirectoryUnitOfWork) as second:
            fresh = await users_db.get_user(second.session, tenant_id, user_id, for_update=True)
            assert fresh is not None
            fresh.first_name = "Winner"
            second.user_changed(fresh)
        stale.first_name = "Loser"
        first.user_changed(stale)


async def test_a_user_changed_meanwhile_is_a_conflict_to_retry_and_nothing_of_it_is_kept(
    lms: Lms, database: Database
) -> None:
    user = await lms.invite()
    version = await lms.version(user["id"])

    with pytest.raises(ChangedMeanwhile, match="changed meanwhile; try again"):
        await rename_from_a_stale_read(database, lms.tenant.id, uuid.UUID(user["id"]))

    assert (await lms.profile(user["id"]))["first_name"] == "Winner"
    [event] = await lms.bus.wait_for("user.updated", subject=user["id"], version=version + 1)
    assert event.data["first_name"] == "Winner"
    assert lms.bus.matching("user.updated", subject=user["id"], version=version + 2) == []
