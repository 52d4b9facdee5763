"""`python -m services.invitations [serve|migrate]`."""

from pathlib import Path

import typer
import uvicorn

from services.invitations.settings import InvitationsSettings

cli = typer.Typer(add_completion=False, no_args_is_help=False, help=__doc__)

MIGRATIONS = Path(__file__).parent / "migrations"


def _settings() -> InvitationsSettings:
    return InvitationsSettings()


@cli.callback(invoke_without_command=True)
def main(context: typer.Context) -> None:
    """Without a command: serve the pages, consume messages and send e-mails."""
    if context.invoked_subcommand is None:
        serve()


@cli.command()
def serve() -> None:
    """Serve the choose-password pages, consume messages and send e-mails (one process)."""
    from services.invitations.app import create_app

    settings = _settings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        loop="uvloop",
        http="httptools",
        proxy_headers=True,
        access_log=False,
    )


@cli.command()
def migrate() -> None:
    """Create the database if needed and apply every migration."""
    from shared.migrations import upgrade_to_head

    upgrade_to_head(_settings().sqlalchemy_url, MIGRATIONS)
    typer.echo("invitations database is up to date")


if __name__ == "__main__":
    cli()
