"""`python -m services.invitations [serve|migrate]`: the choose-password pages, the
message consumers and the e-mail sender, in one process."""

from pathlib import Path

from services.invitations.settings import InvitationsSettings
from shared.cli import service_cli

cli = service_cli(
    "invitations",
    InvitationsSettings,
    "services.invitations.app:create_app",
    Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    cli()
