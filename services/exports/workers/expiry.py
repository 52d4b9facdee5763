"""Removes expired files, every EXPORT_EXPIRY_SCAN_SECONDS."""

from services.exports.adapters.storage import FileStorage
from services.exports.metrics import FILES_EXPIRED
from services.exports.usecases.claim_export import UnitsOfWork
from services.exports.usecases.expire_exports import expire_exports
from shared.logging import get_logger
from shared.workers import Worker, periodic

log = get_logger(__name__)


def expiry_sweeper(
    service: str, units: UnitsOfWork, storage: FileStorage, every_seconds: float
) -> Worker:
    async def sweep() -> None:
        removed = await expire_exports(units, storage)
        if removed:
            FILES_EXPIRED.labels(service).inc(removed)
            log.info("expired export files removed", removed=removed)

    return Worker("export-expiry", periodic(sweep), service=service, idle_seconds=every_seconds)
