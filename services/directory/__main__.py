"""`python -m services.directory [serve|migrate|create-admin|seed|republish|keygen]`: the HTTP API
and the message consumers in one process, and the operator commands."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from services.directory.settings import DirectorySettings
from shared.cli import service_cli

cli = service_cli(
    "directory",
    DirectorySettings,
    "services.directory.app:create_app",
    Path(__file__).parent / "migrations",
)


def _settings() -> DirectorySettings:
    return DirectorySettings()


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

    from services.directory.db.seed import seed as run

    started = time.perf_counter()
    count = asyncio.run(run(_settings().sqlalchemy_url, tenant, users))
    typer.echo(f"seeded {count} users into {tenant} in {time.perf_counter() - started:.1f} s")


@cli.command()
def republish(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's users (its slug).")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=50_000)] = 2000,
) -> None:
    """Send every user's current snapshot again (user.republished), so that another
    service's copy of the users (the exports') can be rebuilt. The running directory's
    relay publishes them."""
    from services.directory.cli.republish import republish as run

    def say(line: str) -> None:
        typer.echo(line, nl=False, err=True)

    count = asyncio.run(run(_settings().sqlalchemy_url, tenant, batch_size, say))
    typer.echo("", err=True)
    if tenant is not None and count == 0:
        typer.echo(f"no user republished: is there a tenant {tenant!r}?", err=True)
    typer.echo(f"republished {count} users")


@cli.command()
def keygen() -> None:
    """Print new key pairs: JWT_PRIVATE_KEY / JWT_PUBLIC_KEY (PEM), then
    SEALING_PRIVATE_KEYS (the directory) / SEALING_PUBLIC_KEY (invitations)."""
    from services.directory.cli.keygen import new_key_pair
    from shared.security.sealing import new_sealing_key_pair

    private, public = new_key_pair()
    sealing_private, sealing_public = new_sealing_key_pair()
    typer.echo(private + public)
    typer.echo(f"SEALING_PRIVATE_KEYS={sealing_private}\nSEALING_PUBLIC_KEY={sealing_public}")


if __name__ == "__main__":
    cli()
