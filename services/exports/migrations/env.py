from services.exports.db.models import Base
from shared.messaging.tables import messaging_metadata
from shared.migrations import run_migrations

run_migrations([Base.metadata, messaging_metadata])
