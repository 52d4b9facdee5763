"""`python -m services.bounces [serve|migrate|replay]`: the provider webhooks and the
message consumer in one process, and re-normalising stored requests after a fix."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from services.bounces.settings import BouncesSettings
from shared.cli import service_cli

cli = service_cli(
    "bounces",
    BouncesSettings,
    "services.bounces.app:create_app",
    Path(__file__).parent / "migrations",
)


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 date or date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@cli.command()
def replay(
    since: Annotated[str, typer.Option(help="From this time (ISO 8601; UTC unless it says).")],
    until: Annotated[str | None, typer.Option(help="Up to this time, excluded.")] = None,
) -> None:
    """Normalise the requests stored since a time again (after a parser or mapping fix).
    Nothing already published is published again; the service publishes the rest."""
    from services.bounces.cli import run_replay

    report = asyncio.run(
        run_replay(BouncesSettings(), _moment(since), _moment(until) if until else None)
    )
    tally = report.tally
    typer.echo(
        f"replayed {report.requests} requests ({report.unreadable} still unreadable): "
        f"{tally.published} published, {tally.duplicates} already recorded, "
        f"{tally.unmatched} unmatched, {tally.refused} refused, {tally.ignored} ignored"
    )


if __name__ == "__main__":
    cli()
