"""Figures read a moment ago, answered again to whoever asks the same before anything changes.

Every console of an organisation re-reads the same dashboard figures (on every start, every
20 s, after every publication), and each read is several queries, on SQLite several trips
to aiosqlite's thread. The figures are the same for everyone of the organisation until
something is written, so an answer is kept, keyed by what it depends on.

The bound: an entry is answered while nothing was written since it was read, and for
`figures_cache_seconds` (1 s by default) at most. "Nothing written" is an epoch: a count of
this process's commits that wrote anything, and on PostgreSQL of the commits of events by
any instance that LISTEN hears (`StreamHub.heard`); the age bound covers what nothing
reports (another process writing to the same SQLite file, a day or a week that turns).
A read that a write overtook is not kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from server.singleflight import once

T = TypeVar("T")
MAX_ENTRIES = 1_000
_WROTE = "buurt_wrote"
_writes = 0


def writes() -> int:
    """How many commits that wrote something this process has made."""
    return _writes


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    # Bulk statements (the rollups' upserts among them) skip the flush.
    if not state.is_select:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    global _writes
    if session.info.pop(_WROTE, False):
        _writes += 1


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_WROTE, None)


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    epoch: Hashable
    until: float


class ReadCache(Generic[T]):
    """Answers kept per key, while the epoch (commits seen) stays and they are young."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[Hashable, _Entry[T]] = {}
        self._pending: dict[Hashable, asyncio.Future[T]] = {}
        self.hits = 0
        self.misses = 0

    async def get(self, key: Hashable, epoch: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """The kept answer for `key` if still valid at `epoch`, else `read()` (then kept)."""
        if self.seconds <= 0:
            return await read()
        found = self._entries.get(key)
        if found is not None and found.epoch == epoch and found.until > time.monotonic():
            self.hits += 1
            return found.value
        self.misses += 1
        # Requests that miss together read once: when an entry lapses under load, every
        # connection misses in the same instant.
        value, fetched = await once(self._pending, (key, epoch), read)
        if not fetched:
            return value
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()  # many organisations and periods at once: read again
        # Kept under the epoch it was read in: a commit during the read makes it stale.
        self._entries[key] = _Entry(value, epoch, time.monotonic() + self.seconds)
        return value
