"""`python -m services.directory [serve|migrate|create-admin|seed|keygen]`."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from services.directory.settings import DirectorySettings

cli = typer.Typer(add_completion=False, no_args_is_help=False, help=__doc__)

MIGRATIONS = Path(__file__).parent / "migrations"


def _settings() -> DirectorySettings:
    return DirectorySettings()


@cli.callback(invoke_without_command=True)
def main(context: typer.Context) -> None:
    """Without a command: serve the HTTP API and the message consumers."""
    if context.invoked_subcommand is None:
        serve()


@cli.command()
def serve() -> None:
    """Serve the HTTP API and consume messages (one process)."""
    from services.directory.app import create_app

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
    typer.echo("directory database is up to date")


@cli.command("create-admin")
def create_admin(
    tenant: Annotated[str, typer.Option(help="The tenant's slug; created if new.")],
    email: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option(help="At least 10 characters.")],
    tenant_name: Annotated[str | None, typer.Option(help="Display name of a new tenant.")] = None,
    first_name: Annotated[str, typer.Option()] = "Admin",
    last_name: Annotated[str, typer.Option()] = "Admin",
    locale: Annotated[str, typer.Option(help="fr or en")] = "fr",
) -> None:
    """Create a tenant (if new) and an administrator who can log in at once."""
    from services.directory.cli.create_admin import AdminRequest, check
    from services.directory.cli.create_admin import create_admin as run

    request = AdminRequest(tenant, tenant_name, email, password, first_name, last_name, locale)
    if problems := check(request):
        typer.echo("\n".join(problems), err=True)
        raise typer.Exit(2)
    found_tenant, user, is_new = asyncio.run(run(_settings().sqlalchemy_url, request))
    verb = "created" if is_new else "updated"
    typer.echo(f"admin {user.email} {verb} in tenant {found_tenant.slug} ({found_tenant.id})")


@cli.command()
def seed(
    tenant: Annotated[str, typer.Option(help="The tenant's slug; created if new.")],
    users: Annotated[int, typer.Option(min=1, max=10_000_000)],
) -> None:
    """Fill a tenant with realistic fake users (no events are published for them)."""
    import time

    from services.directory.cli.seed import seed as run

    started = time.perf_counter()
    count = asyncio.run(run(_settings().sqlalchemy_url, tenant, users))
    typer.echo(f"seeded {count} users into {tenant} in {time.perf_counter() - started:.1f} s")


@cli.command()
def keygen() -> None:
    """Print a new Ed25519 key pair for JWT_PRIVATE_KEY / JWT_PUBLIC_KEY."""
    from services.directory.cli.keygen import new_key_pair

    private, public = new_key_pair()
    typer.echo(private + public)


if __name__ == "__main__":
    cli()
