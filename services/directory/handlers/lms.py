"""What the rest of the LMS reports about learners: enrollments and learning activity."""

from typing import Any

from services.directory.usecases.record_enrollment import record_enrollment
from services.directory.usecases.record_learning_activity import record_learning_activity
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts import CloudEvent


async def on_enrollment(uow: DirectoryUnitOfWork, event: CloudEvent[Any]) -> None:
    await record_enrollment(uow, event.tenantid, event.id, event.type, event.data)


async def on_learning_activity(uow: DirectoryUnitOfWork, event: CloudEvent[Any]) -> None:
    await record_learning_activity(uow, event.tenantid, event.type, event.data)
