"""`python -m services.webhooks [serve|migrate]`: the hooks API, the event consumer and
the delivery sender, in one process."""

from pathlib import Path

from services.webhooks.settings import WebhooksSettings
from shared.cli import service_cli

cli = service_cli(
    "webhooks",
    WebhooksSettings,
    "services.webhooks.app:create_app",
    Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    cli()
