"""Async SQLAlchemy 2 sessions. The request or message boundary commits, nothing else does."""

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import ColumnElement, MetaData, Uuid, cast, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class Database:
    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        server_settings: dict[str, str] | None = None,
    ) -> None:
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            # No pre-ping: it costs a round trip per request. A connection the server
            # dropped fails one request; the pool then replaces it.
            pool_recycle=1800,
            connect_args={"server_settings": server_settings or {}},
        )
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


def uuid_array(ids: Sequence[uuid.UUID]) -> ColumnElement[list[uuid.UUID]]:
    """Ids as one array parameter (`column == any_(uuid_array(ids))`): one statement
    whatever the number of ids, where an IN list makes a new statement per count."""
    return cast(list(ids), ARRAY(Uuid))  # type: ignore[arg-type]


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """The same URL for asyncpg itself (LISTEN/NOTIFY, COPY), without the driver suffix."""
    scheme, rest = sqlalchemy_url.split("://", 1)
    return f"{scheme.split('+')[0]}://{rest}"
