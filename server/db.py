"""Database engine and sessions: SQLite in WAL mode by default, PostgreSQL at scale."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from server.settings import Settings

log = logging.getLogger("buurt.db")


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


# SQLite has one writer at a time. Writers of this process queue here, in order, and each
# gets the file's lock the moment the previous one ends; left to SQLite's busy handler they
# would sleep and poll (up to 100 ms a round), and under load a write took seconds.
WRITE_QUEUE_TIMEOUT = 10.0  # then try anyway: SQLite's own busy timeout still applies
_write_queues: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()
_LOCK_KEY = "buurt_write_lock"


@event.listens_for(Session, "after_transaction_end")
def _release_write_lock(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        lock = session.info.pop(_LOCK_KEY, None)
        if lock is not None and lock.locked():
            lock.release()


async def begin_write(session: AsyncSession) -> None:
    """Start the write part of a request: ends the read transaction (authentication and the
    like) and begins one that holds SQLite's write lock from its first statement."""
    if session.in_transaction():
        await session.commit()
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and _LOCK_KEY not in session.info:
        lock = _write_queues.setdefault(bind, asyncio.Lock())
        try:
            await asyncio.wait_for(lock.acquire(), WRITE_QUEUE_TIMEOUT)
        except TimeoutError:
            # A holder that never ended its transaction must not stall every later write:
            # start a fresh queue; SQLite's own lock still keeps writes one at a time.
            log.error("the write queue did not move for %.0f s; starting a new one",
                      WRITE_QUEUE_TIMEOUT)  # fmt: skip
            lock = _write_queues[bind] = asyncio.Lock()
            await lock.acquire()
        session.info[_LOCK_KEY] = lock
    try:
        await session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    except BaseException:
        await session.rollback()  # ends the transaction, so the queue moves on
        raise


async def snapshot(session: AsyncSession) -> None:
    """Make the rest of this request read one consistent snapshot. SQLite's read
    transactions are snapshots already; PostgreSQL's READ COMMITTED sees each statement's
    own moment, so a REPEATABLE READ transaction begins here."""
    if session.get_bind().dialect.name != "postgresql":
        return
    if session.in_transaction():
        await session.commit()
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


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
