"""Alembic, the same way for every service: `python -m services.<name> migrate`."""

import asyncio
from collections.abc import Sequence
from pathlib import Path

import asyncpg
from alembic import command, context, op
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_engine_from_config

from shared.db import asyncpg_dsn


def upgrade_to_head(sqlalchemy_url: str, migrations_dir: Path) -> None:
    """Create the database if it is missing, then apply every migration."""
    asyncio.run(ensure_database(sqlalchemy_url))
    config = _config(migrations_dir)
    config.set_main_option("sqlalchemy.url", sqlalchemy_url.replace("%", "%%"))
    command.upgrade(config, "head")


def _config(migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    return config


def head_revision(migrations_dir: Path) -> str | None:
    """The newest migration this code knows (read from the files, no database)."""
    return ScriptDirectory.from_config(_config(migrations_dir)).get_current_head()


async def current_revision(session: AsyncSession) -> str | None:
    """The migration the database is at (None before the first)."""
    result = await session.execute(text("SELECT version_num FROM alembic_version"))
    value = result.scalar()
    return str(value) if value is not None else None


async def ensure_database(sqlalchemy_url: str) -> None:
    url = make_url(sqlalchemy_url)
    name = url.database
    if not name:
        raise ValueError("DATABASE_URL names no database")
    maintenance = asyncpg_dsn(url.set(database="postgres").render_as_string(hide_password=False))
    connection = await asyncpg.connect(maintenance)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            quoted = '"' + name.replace('"', '""') + '"'
            await connection.execute(f"CREATE DATABASE {quoted}")
    finally:
        await connection.close()


def run_migrations(target_metadata: Sequence[MetaData]) -> None:
    """The body of every service's Alembic env.py."""
    if context.is_offline_mode():
        context.configure(
            url=context.config.get_main_option("sqlalchemy.url"),
            target_metadata=list(target_metadata),
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(list(target_metadata)))


async def _run_online(target_metadata: list[MetaData]) -> None:
    engine = async_engine_from_config(
        context.config.get_section(context.config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    async with engine.connect() as connection:
        await connection.run_sync(_migrate, target_metadata)
    await engine.dispose()


def _migrate(connection: Connection, target_metadata: list[MetaData]) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def create_notify_trigger(table: str, channel: str) -> None:
    """For a migration: NOTIFY `channel` when a transaction that inserted into `table`
    commits (once per statement), so a listening worker starts at once."""
    op.execute(
        f"CREATE FUNCTION {table}_notify() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN PERFORM pg_notify('{channel}', ''); RETURN NULL; END $$;"
    )
    op.execute(
        f"CREATE TRIGGER {table}_notify AFTER INSERT ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_notify();"
    )


def drop_notify_trigger(table: str) -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {table}_notify()")
