"""`export.*` events, published by the exports service when a job ends."""

import uuid
from datetime import datetime
from typing import Literal

from shared.contracts.envelope import Contract

EXPORT_COMPLETED = "export.completed"
EXPORT_FAILED = "export.failed"


class ExportCompleted(Contract):
    job_id: uuid.UUID
    requested_by: uuid.UUID
    format: Literal["csv", "xlsx"]
    row_count: int
    completed_at: datetime


class ExportFailed(Contract):
    job_id: uuid.UUID
    requested_by: uuid.UUID
    reason: str
    failed_at: datetime
