"""A tenant: one platform (a school, a company) with its own users."""

import uuid
from typing import Protocol


class TenantRecord(Protocol):
    id: uuid.UUID
    slug: str
    name: str
    default_locale: str
