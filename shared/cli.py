"""The command line every service has: `serve` (the default) and `migrate`.

    cli = service_cli("invitations", InvitationsSettings, "services.invitations.app:create_app")

A service adds its own commands to the Typer app this returns.
"""

import gc
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
import uvicorn

from shared.settings import ProcessSettings, ServiceSettings

# The young generation is collected after this many more container objects were made than
# freed (CPython's default is 700). A request handling a batch of 100 notices holds tens of
# thousands at once: at 700, each such request ran several young collections, and what it
# still held was promoted, so the old generations filled with it and were walked again and
# again (docs/performance.md P4). Cycles are still collected, only less often.
GC_THRESHOLDS = (20_000, 10, 10)


def freeze_heap() -> None:
    """Move what was built at startup (modules, the app, SQLAlchemy's and pydantic's
    structures: ~150,000 objects) out of the cyclic garbage collector's reach. Otherwise
    every full collection walks them all, ~90 ms during which no request moves (the
    bounces' p99, docs/performance.md P4). Then collect less often (`GC_THRESHOLDS`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def http_server_options(configured: ProcessSettings) -> dict[str, Any]:
    """How uvicorn serves every service. X-Forwarded-For is believed only from the
    gateway's address(es) in FORWARDED_ALLOW_IPS, given explicitly: uvicorn itself reads
    only the process environment, not the settings' other sources."""
    return {
        "log_config": None,
        "proxy_headers": True,
        "forwarded_allow_ips": configured.forwarded_allow_ips,
        "access_log": False,
    }


def service_cli(
    name: str,
    settings: Callable[[], ProcessSettings],
    app_factory: str,
    migrations: Path | None,
) -> typer.Typer:
    """`app_factory` is "module:function", imported only when serving (commands stay fast)."""
    cli = typer.Typer(add_completion=False, no_args_is_help=False)

    @cli.callback(invoke_without_command=True)
    def main(context: typer.Context) -> None:
        """Without a command: serve the HTTP API and consume messages."""
        if context.invoked_subcommand is None:
            serve()

    @cli.command()
    def serve() -> None:
        """Serve the HTTP API and consume messages (one process)."""
        configured = settings()
        app = _load(app_factory)(configured)
        freeze_heap()
        uvicorn.run(
            app,
            host=configured.host,
            port=configured.port,
            loop="uvloop",
            http="httptools",
            **http_server_options(configured),
        )

    @cli.command()
    def migrate() -> None:
        """Create the database if needed and apply every migration."""
        if migrations is None:  # a service that holds no data (the admin console)
            typer.echo(f"{name} has no database: nothing to migrate")
            return
        from shared.migrations import upgrade_to_head

        configured = settings()
        assert isinstance(configured, ServiceSettings), "a service with migrations has a database"
        upgrade_to_head(configured.sqlalchemy_url, migrations)
        typer.echo(f"{name} database is up to date")

    return cli


def _load(path: str) -> Callable[..., Any]:
    module, _, attribute = path.partition(":")
    factory: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
    return factory
