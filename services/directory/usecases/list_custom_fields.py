"""The tenant's custom fields, in display order."""

from collections.abc import Sequence

from services.directory.db import custom_fields as fields_db
from services.directory.domain.custom_fields import CustomFieldRecord
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.security.access_tokens import Principal


async def list_custom_fields(
    uow: DirectoryUnitOfWork, actor: Principal
) -> Sequence[CustomFieldRecord]:
    return await fields_db.list_fields(uow.session, actor.tenant_id)
