"""A job acts with the rights of the admin who started it: who they were is kept with it."""

import uuid
from typing import Any

from services.directory.db.job_tables import Job
from shared.security.access_tokens import Principal


def principal_params(actor: Principal) -> dict[str, Any]:
    return {"actor_role": actor.role, "actor_permissions": sorted(actor.permissions)}


def job_actor(job: Job) -> Principal:
    return Principal(
        user_id=job.created_by,
        tenant_id=job.tenant_id,
        role=str(job.params["actor_role"]),
        permissions=frozenset(job.params["actor_permissions"]),
    )


def parse_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
