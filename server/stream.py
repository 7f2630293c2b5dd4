"""The live stream's fan-out inside one process.

`stream_events` is the source of truth. Each process reads new rows once (single-flight),
keeps the recent ones in memory, and every open stream takes what it may see from there;
only a client resuming from further back reads the table itself. Writers wake the readers
after every commit; other processes' writes are picked up by polling once a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from server.models import StreamEvent

BUFFER = 20_000


@dataclass(frozen=True)
class Item:
    """One stream event, ready to send."""

    id: int
    municipality_id: int
    neighbourhood_id: int | None
    organisation_id: int | None
    text: str  # the whole SSE block


def to_item(e: StreamEvent) -> Item:
    data = json.dumps({**e.data, "at": e.at.isoformat()}, separators=(",", ":"))
    return Item(
        e.id, e.municipality_id, e.neighbourhood_id, e.organisation_id,
        f"id: {e.id}\nevent: {e.type}\ndata: {data}\n\n",
    )  # fmt: skip


class StreamHub:
    """Every writer calls `notify()` after committing; every open stream `wait()`s."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.buffer: deque[Item] = deque(maxlen=BUFFER)
        self.last_id: int | None = None
        self._refreshing: asyncio.Task[None] | None = None

    def notify(self) -> None:
        # Wake the current waiters, then start a fresh event for the next round.
        ev, self._event = self._event, asyncio.Event()
        ev.set()

    async def wait(self, seconds: float) -> None:
        ev = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ev.wait(), seconds)

    async def refresh(self, maker: Callable[[], Any]) -> None:
        """Read rows newer than the last one read; one query however many streams ask."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self._read(maker))
        await asyncio.shield(self._refreshing)

    async def _read(self, maker: Callable[[], Any]) -> None:
        async with maker() as session:
            if self.last_id is None:
                self.last_id = int(
                    await session.scalar(select(func.coalesce(func.max(StreamEvent.id), 0))) or 0
                )
                return
            rows = (
                await session.scalars(
                    select(StreamEvent)
                    .where(StreamEvent.id > self.last_id)
                    .order_by(StreamEvent.id)
                    .limit(5000)
                )
            ).all()
        for row in rows:
            self.buffer.append(to_item(row))
            self.last_id = row.id

    def since(self, after: int) -> list[Item] | None:
        """Buffered items after `after`; None when `after` is older than the buffer."""
        if self.buffer and after < self.buffer[0].id - 1:
            return None
        if not self.buffer and self.last_id is not None and after < self.last_id:
            return None
        return [item for item in self.buffer if item.id > after]


# Every app in this process has its own hub (its own database); a commit wakes them all.
_hubs: weakref.WeakSet[StreamHub] = weakref.WeakSet()
_installed = False


def new_hub() -> StreamHub:
    """A hub for one app, woken by every commit in this process."""
    hub = StreamHub()
    _hubs.add(hub)
    return hub


def _wake(_session: object) -> None:
    for hub in list(_hubs):
        hub.notify()


def install_wakeup() -> None:
    """Wake this process's open streams after every commit (it may carry stream events)."""
    global _installed
    if not _installed:
        event.listen(Session, "after_commit", _wake)
        _installed = True
