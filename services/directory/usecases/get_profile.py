"""A user's profile: who they are, their groups and custom fields, enrollments and recent
activity. The changes to a user answer with it too (`read_profile`)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from services.directory.db import custom_fields as fields_db
from services.directory.db import users as users_db
from services.directory.db.activities import recent_activities
from services.directory.db.enrollments import enrollments_of
from services.directory.domain.activities import ActivityRecord, EnrollmentRecord
from services.directory.domain.custom_fields import CustomFieldRecord
from services.directory.domain.users import UserRecord
from services.directory.usecases.common import load_user
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.users import GroupRef
from shared.security.access_tokens import Principal

RECENT_ACTIVITIES = 20


@dataclass(frozen=True)
class Profile:
    user: UserRecord
    groups: list[GroupRef]
    fields: Sequence[CustomFieldRecord]
    enrollments: Sequence[EnrollmentRecord]
    activities: Sequence[ActivityRecord]


async def get_profile(uow: DirectoryUnitOfWork, actor: Principal, user_id: uuid.UUID) -> Profile:
    user = await load_user(uow.session, actor, user_id, for_update=False)
    return await read_profile(uow, user)


async def read_profile(uow: DirectoryUnitOfWork, user: UserRecord) -> Profile:
    """The profile of a user already loaded, as it stands after the changes made so far."""
    await uow.flush()  # the version and the changes the profile shows
    groups = await users_db.groups_of(uow.session, user.tenant_id, [user.id])
    return Profile(
        user=user,
        groups=groups.get(user.id, []),
        fields=await fields_db.list_fields(uow.session, user.tenant_id),
        enrollments=await enrollments_of(uow.session, user.tenant_id, user.id),
        activities=await recent_activities(uow.session, user.tenant_id, user.id, RECENT_ACTIVITIES),
    )
