"""Wake-ups for the live stream inside one process; other processes are caught by polling
the `stream_events` table, which stays the source of truth either way."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import event
from sqlalchemy.orm import Session


class StreamHub:
    """Every writer calls `notify()` after committing; every open stream `wait()`s."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        # Wake the current waiters, then start a fresh event for the next round.
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, seconds: float) -> None:
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)


hub = StreamHub()
_installed = False


def _wake(_session: object) -> None:
    hub.notify()


def install_wakeup() -> None:
    """Wake this process's open streams after every commit (it may carry stream events)."""
    global _installed
    if not _installed:
        event.listen(Session, "after_commit", _wake)
        _installed = True
