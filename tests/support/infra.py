"""Where the tests find PostgreSQL and RabbitMQ, and how each run gets its own namespace.

URLs come from TEST_POSTGRES_URL / TEST_AMQP_URL; without them, the local defaults are
used if something answers there; otherwise testcontainers starts both (needs Docker).
Every run creates its own databases and its own RabbitMQ virtual host, and removes them
at the end, so nothing left by an earlier run can change a result.
"""

import os
import shutil
import socket
import subprocess
import urllib.parse
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field

import asyncpg
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import sqlalchemy_dsn
from shared.messaging.tables import create_messaging_tables

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


@dataclass
class Infrastructure:
    postgres_url: str  # a maintenance database on the server, e.g. .../postgres
    amqp_url: str  # the default virtual host
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    make_vhost: Callable[[str], None] | None = None
    drop_vhost: Callable[[str], None] | None = None

    def database_url(self, name: str) -> str:
        parts = urllib.parse.urlsplit(self.postgres_url)
        return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))

    def vhost_url(self, vhost: str) -> str:
        parts = urllib.parse.urlsplit(self.amqp_url)
        return urllib.parse.urlunsplit(
            parts._replace(path="/" + urllib.parse.quote(vhost, safe=""))
        )


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _rabbitmqctl(*args: str) -> Callable[[str], None]:
    def run(vhost: str) -> None:
        for command in args:
            subprocess.run(
                ["rabbitmqctl", *command.format(vhost=vhost).split()],
                check=True,
                capture_output=True,
                timeout=60,
            )

    return run


def discover(stack: ExitStack) -> Infrastructure:
    postgres = os.environ.get("TEST_POSTGRES_URL")
    amqp = os.environ.get("TEST_AMQP_URL")
    if postgres is None and _answers("127.0.0.1", 5432):
        postgres = LOCAL_POSTGRES
    if amqp is None and _answers("127.0.0.1", 5672):
        amqp = LOCAL_AMQP
    infra = Infrastructure(
        postgres_url=postgres or _start_postgres(stack),
        amqp_url=amqp or LOCAL_AMQP,
    )
    if amqp is None and not _answers("127.0.0.1", 5672):
        _start_rabbitmq(stack, infra)
    elif shutil.which("rabbitmqctl"):
        infra.make_vhost = _rabbitmqctl(
            "add_vhost {vhost}", "set_permissions -p {vhost} guest .* .* .*"
        )
        infra.drop_vhost = _rabbitmqctl("delete_vhost {vhost}")
    return infra


def _start_postgres(stack: ExitStack) -> str:
    from testcontainers.postgres import PostgresContainer

    container = stack.enter_context(PostgresContainer("postgres:15", driver=None))
    return str(container.get_connection_url())


def _start_rabbitmq(stack: ExitStack, infra: Infrastructure) -> None:
    from testcontainers.rabbitmq import RabbitMqContainer

    container = stack.enter_context(RabbitMqContainer("rabbitmq:4-management"))
    host, port = container.get_container_host_ip(), container.get_exposed_port(5672)
    infra.amqp_url = f"amqp://guest:guest@{host}:{port}/"

    def in_container(*commands: str) -> Callable[[str], None]:
        def run(vhost: str) -> None:
            for command in commands:
                container.exec(["rabbitmqctl", *command.format(vhost=vhost).split()])

        return run

    infra.make_vhost = in_container(
        "add_vhost {vhost}", "set_permissions -p {vhost} guest .* .* .*"
    )
    infra.drop_vhost = in_container("delete_vhost {vhost}")


async def create_database(infra: Infrastructure, name: str) -> str:
    connection = await asyncpg.connect(infra.postgres_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return infra.database_url(name)


async def drop_database(infra: Infrastructure, name: str) -> None:
    connection = await asyncpg.connect(infra.postgres_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def create_messaging_database(infra: Infrastructure, name: str) -> str:
    """A database with only the outbox and inbox tables, made as a service's first
    migration makes them (`create_messaging_tables`)."""
    url = await create_database(infra, name)
    engine = create_async_engine(sqlalchemy_dsn(url))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_create_messaging_tables)
    finally:
        await engine.dispose()
    return url


def _create_messaging_tables(connection: Connection) -> None:
    with Operations.context(MigrationContext.configure(connection)):
        create_messaging_tables()
