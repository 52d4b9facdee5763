"""The job workers: each builds one export at a time, woken when a job is queued."""

from services.exports.usecases.build_export import BuildSettings, build_next_export
from services.exports.usecases.claim_export import UnitsOfWork
from shared.wakeup import Wakeup
from shared.workers import Worker


def export_builder(
    name: str, service: str, units: UnitsOfWork, settings: BuildSettings, wakeup: Wakeup
) -> Worker:
    async def build() -> bool:
        return await build_next_export(units, settings)

    return Worker(name, build, service=service, wakeup=wakeup)
