"""`python -m services.exports [serve|migrate]`: the exports API, the projection of users
(its consumer) and the job workers, in one process."""

from pathlib import Path

from services.exports.settings import ExportsSettings
from shared.cli import service_cli

cli = service_cli(
    "exports",
    ExportsSettings,
    "services.exports.app:create_app",
    Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    cli()
