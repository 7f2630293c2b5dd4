"""Health checks for load balancers: `/healthz` (the process answers) and `/readyz` (it can
serve: the database answers and takes writes).

`/readyz` answers 503 (problem+json, with Retry-After) when
- the database cannot be reached (within 3 s);
- PostgreSQL takes no writes: a read-only server (a standby after a failover) or a commit
  that cannot be made. The check commits a transaction that was given an id
  (`txid_current()`): PostgreSQL writes and flushes its commit record to the WAL, a small
  real write that touches no table;
- SQLite: the database file or its folder cannot be written (permissions, a read-only
  mount), or their filesystem has less free space than `BUURT_READY_MIN_FREE_BYTES`
  (64 MiB). A write that is rolled back never reaches the disk in SQLite, so it would say
  nothing about a full disk; the free space does, before writes start failing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.engine import make_url

from server.logs import is_unreachable
from server.problems import Problem

router = APIRouter(tags=["health"])
TIMEOUT_SECONDS = 3.0
RETRY_AFTER = {"Retry-After": "5"}


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


def unavailable(detail: str) -> Problem:
    return Problem("service-unavailable", detail, headers=RETRY_AFTER)


async def _check_postgres(request: Request) -> None:
    async with request.app.state.engine.connect() as conn:
        read_only = await conn.scalar(text("SELECT current_setting('transaction_read_only')"))
        if read_only == "on":
            raise unavailable("The database takes no writes: it is read-only (a standby?).")
        await conn.execute(text("SELECT txid_current()"))
        await conn.commit()


async def _check_sqlite(request: Request) -> None:
    async with request.app.state.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    database = make_url(request.app.state.settings.database_url).database
    if not database or database == ":memory:":
        return
    path = Path(database)
    for needed in (path, path.parent):  # the folder too: SQLite writes its -wal and -shm there
        if needed.exists() and not os.access(needed, os.W_OK):
            raise unavailable(f"The server may not write {needed}: nothing could be saved.")
    floor = request.app.state.settings.ready_min_free_bytes
    free = shutil.disk_usage(path.parent).free
    if free < floor:
        raise unavailable(
            f"The database's disk has {free // 2**20:,} MiB free, less than the "
            f"{floor // 2**20:,} MiB it needs to take writes (BUURT_READY_MIN_FREE_BYTES)."
        )


@router.get("/readyz")
async def readyz(request: Request) -> dict[str, str]:
    """The database answers and takes writes. `stream` tells how this process learns of
    other processes' live events: `listening` (PostgreSQL LISTEN), `polling` (reconnecting;
    streams still work, a second late at most) or `local` (SQLite: one process)."""
    outage = request.app.state.outage
    postgres = request.app.state.engine.dialect.name == "postgresql"
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            await (_check_postgres(request) if postgres else _check_sqlite(request))
    except Problem:
        raise
    except TimeoutError as exc:
        raise unavailable(f"The database did not answer within {TIMEOUT_SECONDS:.0f} s.") from exc
    except Exception as exc:
        if is_unreachable(exc):
            outage.failed(exc)
        raise unavailable("The database cannot be reached.") from exc
    outage.succeeded()
    listening = request.app.state.stream_hub.listening
    mode = "local" if listening is None else "listening" if listening else "polling"
    return {"status": "ready", "stream": mode}
