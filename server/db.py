"""Database engine and sessions: SQLite in WAL mode by default, PostgreSQL at scale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from server.settings import Settings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while one writer writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # We emit BEGIN ourselves (below), so that writes can take the lock up front.
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: Any) -> None:
    # A write transaction that read first and then writes fails at once ("database is
    # locked") when another writer committed meanwhile; BEGIN IMMEDIATE waits its turn.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


async def begin_write(session: AsyncSession) -> None:
    """Start the write part of a request: ends the read transaction (authentication and the
    like) and begins one that holds SQLite's write lock from its first statement."""
    if session.in_transaction():
        await session.commit()
    await session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def make_engine(settings: Settings) -> AsyncEngine:
    """Create the async engine for the configured database."""
    # Bound values never reach a log line or an exception message: they may be residents'
    # contact details or token hashes.
    kwargs: dict[str, Any] = {"echo": settings.log_sql, "hide_parameters": True}
    if not settings.is_sqlite:
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_async_engine(settings.database_url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def session_scope(
    maker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """Yield a session; roll back on error. Callers commit explicitly."""
    async with maker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
