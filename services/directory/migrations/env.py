from services.directory.db import job_tables  # noqa: F401  (its tables join Base.metadata)
from services.directory.db.models import Base
from shared.messaging.tables import messaging_metadata
from shared.migrations import run_migrations

run_migrations([Base.metadata, messaging_metadata])
