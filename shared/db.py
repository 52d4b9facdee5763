"""Async SQLAlchemy 2: the engine and sessions, and what every service's tables share.

The request or message boundary commits, nothing else does (`shared.unit_of_work`).
Each service declares its own ORM base, in two lines, from these pieces:

    class Base(DeclarativeBase):
        metadata = new_metadata()
        type_annotation_map = TYPE_ANNOTATION_MAP
"""

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic_core import from_json
from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Enum,
    MetaData,
    Text,
    Uuid,
    cast,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


# Every timestamp is stored with its time zone (timestamptz).
TYPE_ANNOTATION_MAP: dict[Any, Any] = {datetime: DateTime(timezone=True)}


def stored_as_text(kind: type[StrEnum], length: int = 20) -> Enum:
    """An enum column over a plain varchar holding the members' values (no CHECK, no
    database type: a new member needs no migration), read back as the enum."""
    return Enum(
        kind,
        native_enum=False,
        create_constraint=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class Timestamps:
    """Mixin: when a row was created and last changed (set by the database on insert)."""

    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Database:
    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 5,
        max_overflow: int = 5,
        server_settings: dict[str, str] | None = None,
        behind_pgbouncer: bool = False,
    ) -> None:
        connect_args: dict[str, Any] = {"server_settings": server_settings or {}}
        if behind_pgbouncer:
            # In transaction mode the next statement may run on another server
            # connection: no named prepared statement may outlive its transaction, and
            # no setting outlives it either (PgBouncer refuses unknown startup settings).
            connect_args = {
                "statement_cache_size": 0,
                "prepared_statement_cache_size": 0,
                "prepared_statement_name_func": lambda: f"__lms_{uuid.uuid4().hex}__",
            }
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            # No pre-ping: it costs a round trip per request. A connection the server
            # dropped fails one request; the pool then replaces it.
            pool_recycle=1800,
            connect_args=connect_args,
            # json/jsonb values read with pydantic-core's parser: the same values as
            # json.loads, ~3.5x faster (a page of the user list decodes 102 of them).
            json_deserializer=from_json,
        )
        if behind_pgbouncer and server_settings:
            _set_per_transaction(self.engine, server_settings)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


def _set_per_transaction(engine: AsyncEngine, settings: dict[str, str]) -> None:
    """Apply `settings` at the start of every transaction (SET LOCAL), for a pooler that
    hands each transaction a different server connection."""
    statement = text(
        "SELECT "
        + ", ".join(f"set_config(:name_{n}, :value_{n}, true)" for n in range(len(settings)))
    ).bindparams(
        **{f"name_{n}": name for n, name in enumerate(settings)},
        **{f"value_{n}": value for n, value in enumerate(settings.values())},
    )

    @event.listens_for(engine.sync_engine, "begin")
    def _apply(connection: Connection) -> None:
        connection.execute(statement)


def uuid_array(ids: Sequence[uuid.UUID]) -> ColumnElement[list[uuid.UUID]]:
    """Ids as one array parameter (`column == any_(uuid_array(ids))`): one statement
    whatever the number of ids, where an IN list makes a new statement per count."""
    return cast(list(ids), ARRAY(Uuid))  # type: ignore[arg-type]


def text_array(values: Sequence[str]) -> ColumnElement[list[str]]:
    """`uuid_array` for text: `column == any_(text_array(values))`."""
    return cast(list(values), ARRAY(Text))  # type: ignore[arg-type]


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """The same URL for asyncpg itself (LISTEN/NOTIFY, COPY), without the driver suffix."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def sqlalchemy_dsn(url: str) -> str:
    """The URL with SQLAlchemy's asyncpg driver, whatever scheme was configured."""
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


# SQLSTATE classes (PostgreSQL, Appendix A) where trying the same statement again later can
# work: the connection, a serialization failure or deadlock, resources, an operator's
# restart, a lock that could not be taken, a cancelled statement.
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "40", "53", "57P", "55P03", "57014")


def is_transient(error: BaseException) -> bool:
    """Whether a database error may go away if the work is tried again.

    Data errors (a NUL character, a value too long) and integrity errors caused by the
    input will fail the same way every time; a lost connection or a deadlock won't."""
    if isinstance(error, ConnectionError | TimeoutError | OSError):
        return True
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None) or getattr(
        error, "sqlstate", None
    )
    if isinstance(sqlstate, str):
        return sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
    # A DBAPI error without SQLSTATE is the driver's own: the connection broke.
    return isinstance(error, DBAPIError) and error.connection_invalidated


def is_permanent_data_error(error: BaseException) -> bool:
    """A database refusal that retrying can't change (SQLSTATE class 22: data, 23: integrity)."""
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(("22", "23"))
