"""The live stream's fan-out inside one process.

`stream_events` is the source of truth. Each process reads new rows once (single-flight),
keeps the recent ones in memory, and every open stream takes what it may see from there;
only a client resuming from further back reads the table itself. Writers wake the readers
of their own process after every commit. On PostgreSQL every process also LISTENs: a
transaction that writes stream events NOTIFYs on commit, so the other instances wake at
once. Polling (once a second by default) stays as the safety net for a lost notification;
nothing is read from the notification itself.

Clients resume by id, so ids must become visible in order. SQLite has one writer at a time;
on PostgreSQL a transaction takes a transaction-scoped advisory lock before it inserts its
stream events, so a later id never commits before an earlier one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.sse import format_sse_event
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from server.logs import Outage, is_unreachable
from server.models import StreamEvent

BUFFER = 20_000
READ_BATCH = 5000  # rows a read of the hub takes at most
CHANNEL = "buurt_stream"
ORDER_LOCK = 0x62757572_74000001  # any constant; names the lock that orders stream ids
KEEPALIVE_SECONDS = 15.0
log = logging.getLogger("buurt.stream")


@dataclass(frozen=True)
class Item:
    """One stream event, ready to send."""

    id: int
    municipality_id: int
    neighbourhood_id: int | None
    organisation_id: int | None
    block: bytes  # the whole SSE block, framed once for every stream that may see it
    type: str = ""


def to_item(e: StreamEvent) -> Item:
    """The stream event of a row: its data with `at`, as compact JSON."""
    data = json.dumps({**e.data, "at": e.at.isoformat()}, separators=(",", ":"))
    return Item(
        e.id, e.municipality_id, e.neighbourhood_id, e.organisation_id,
        format_sse_event(id=str(e.id), event=e.type, data_str=data), e.type,
    )  # fmt: skip


async def newest_id(session: AsyncSession) -> int:
    """The id of the newest stream event (0 when there is none)."""
    return int(await session.scalar(select(func.coalesce(func.max(StreamEvent.id), 0))) or 0)


async def read_after(
    session: AsyncSession, after: int, limit: int, municipality_id: int | None = None
) -> list[Item]:
    """Up to `limit` stream events after the id `after`, oldest first (of one municipality
    when given)."""
    query = select(StreamEvent).where(StreamEvent.id > after)
    if municipality_id is not None:
        query = query.where(StreamEvent.municipality_id == municipality_id)
    rows = (await session.scalars(query.order_by(StreamEvent.id).limit(limit))).all()
    return [to_item(row) for row in rows]


class StreamHub:
    """Reads new stream events once for every open stream of this app, and wakes them.

    Writers call `notify()` after committing (from any thread); LISTEN calls `hear()`; a
    poller reads every `poll` seconds while streams are open (a lost notification, another
    process writing to the same SQLite file). One reader task reads what is new, coalescing
    the notifications that come meanwhile, and wakes the streams only when it found rows:
    a commit without stream events costs the streams nothing, and each stream wakes once
    per batch, to take from `buffer` what it may see.

    `rounds` counts the reads that found rows; a stream notes it before taking from the
    buffer and `wait(seen)` returns at once when it moved since, so no event falls between.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.buffer: deque[Item] = deque(maxlen=BUFFER)
        self.last_id: int | None = None
        self.rounds = 0
        # Notifications from the database (PostgreSQL LISTEN): commits of any process.
        self.heard = 0
        # None: no LISTEN here (SQLite); False: PostgreSQL, (re)connecting; True: listening.
        self.listening: bool | None = None
        # The server is stopping: open streams end now instead of holding up the shutdown.
        self.closing = False
        self.streams = 0  # open streams; the poller reads only while there are some
        self.loop: asyncio.AbstractEventLoop | None = None
        self._maker: Callable[[], Any] | None = None
        self._asked = 0  # reads asked for, and
        self._done = 0  # how many of them the finished reads cover
        self._reader: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._error: BaseException | None = None
        # The app's outage log: a database outage is one warning and one line when it ends.
        self.outage = Outage()

    def start(self, maker: Callable[[], Any], poll: float) -> None:
        """Serve the running loop's streams: sessions from `maker`, a read every `poll` s."""
        if self.loop is not None:
            return
        self.loop = asyncio.get_running_loop()
        self._maker = maker
        self._poller = self.loop.create_task(self._poll(poll), name="buurt-stream-poll")

    def close(self) -> None:
        """End every open stream of this hub (they see `closing` when woken)."""
        self.closing = True
        if self._poller is not None:
            self._poller.cancel()
        self._wake()

    def hear(self) -> None:
        """The database reports a commit of stream events (any process's)."""
        self.heard += 1
        self.notify()

    def notify(self) -> None:
        """Something was committed: read what is new. Safe from any thread (every commit
        of this process notifies every app's hub, and tests run apps in threads)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            here = asyncio.get_running_loop() is loop
        except RuntimeError:
            here = False
        if here:
            self._ask()
        else:
            with contextlib.suppress(RuntimeError):  # that loop closed meanwhile
                loop.call_soon_threadsafe(self._ask)

    def _ask(self) -> None:
        self._asked += 1
        if self._reader is None or self._reader.done():
            assert self.loop is not None
            self._reader = self.loop.create_task(self._read_all())

    async def _read_all(self) -> None:
        while self._done < self._asked:
            covers = self._asked  # a read started now sees every commit notified so far
            try:
                found = await self._read()
            except Exception as error:
                self._error = error
                if is_unreachable(error):
                    self.outage.failed(error)
                else:
                    log.warning("cannot read new stream events (%s); retrying", error)
                return
            self._error = None
            self.outage.succeeded()
            self._done = covers
            if found:
                self._wake()

    async def _poll(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            if self.streams:
                self._ask()

    def _wake(self) -> None:
        self.rounds += 1
        ev, self._event = self._event, asyncio.Event()
        ev.set()

    async def catch_up(self) -> None:
        """Wait for a read that covers every commit notified so far (a stream's first);
        raises what the read met (the database is unreachable)."""
        self._ask()
        wanted = self._asked
        while self._done < wanted:
            reader = self._reader
            assert reader is not None
            await asyncio.shield(reader)
            if self._done < wanted:
                if self._error is not None:
                    raise self._error
                self._ask()

    async def wait(self, seen: int, seconds: float) -> None:
        """Wait for new rows after the `seen`th round, or `seconds` at most."""
        if self.rounds > seen or self.closing:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):  # no task per wait, unlike wait_for
                await self._event.wait()

    async def _read(self) -> bool:
        """Rows newer than the last one read, into the buffer; True when there were some."""
        assert self._maker is not None
        async with self._maker() as session:
            if self.last_id is None:
                self.last_id = await newest_id(session)
                return False
            items = await read_after(session, self.last_id, READ_BATCH)
        self.buffer.extend(items)
        if items:
            self.last_id = items[-1].id
        if len(items) == READ_BATCH:
            self._asked += 1  # more than one batch: read on
        return bool(items)

    def since(self, after: int) -> list[Item] | None:
        """Buffered items after `after`; None when `after` is older than the buffer."""
        if self.buffer and after < self.buffer[0].id - 1:
            return None
        if not self.buffer and self.last_id is not None and after < self.last_id:
            return None
        # Open streams are nearly always caught up: walk back from the newest item only.
        newer: list[Item] = []
        for item in reversed(self.buffer):
            if item.id <= after:
                break
            newer.append(item)
        newer.reverse()
        return newer


# Every app in this process has its own hub (its own database); a commit wakes them all.
_hubs: weakref.WeakSet[StreamHub] = weakref.WeakSet()
_installed = False


def new_hub() -> StreamHub:
    """A hub for one app, woken by every commit in this process."""
    hub = StreamHub()
    _hubs.add(hub)
    return hub


def end_streams_on_shutdown() -> None:
    """Make uvicorn end our open streams as the first step of its shutdown.

    Uvicorn waits for open responses to finish before it runs the lifespan's shutdown, so
    a stream (which never finishes by itself) held every stop for the graceful timeout and
    was then cancelled with a traceback. Its `Server.shutdown` is the one moment it tells
    its app; the hub of that server's app is closed there and its streams return at once
    (clients resume elsewhere with Last-Event-ID)."""
    try:
        from uvicorn.server import Server
    except ImportError:  # served by something else: nothing to hook
        return
    original = Server.shutdown
    if getattr(original, "ends_buurt_streams", False):
        return

    async def shutdown(self: Any, sockets: Any = None) -> None:
        app = self.config.loaded_app
        while app is not None and not hasattr(app, "state"):
            app = getattr(app, "app", None)  # through uvicorn's own middleware
        hub = getattr(getattr(app, "state", None), "stream_hub", None)
        if isinstance(hub, StreamHub):
            hub.close()
        await original(self, sockets=sockets)

    shutdown.ends_buurt_streams = True  # type: ignore[attr-defined]
    Server.shutdown = shutdown  # type: ignore[method-assign]


def _wake(_session: object) -> None:
    for hub in list(_hubs):
        hub.notify()


def _order_and_notify(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    # Before stream events are inserted (and their ids drawn): on PostgreSQL, wait for the
    # transactions that drew earlier ids to end, and have this one NOTIFY when it commits.
    if not any(isinstance(obj, StreamEvent) for obj in session.new):
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ORDER_LOCK})
        connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def install_wakeup() -> None:
    """Wake this process's open streams after every commit (it may carry stream events),
    and keep stream ids in commit order across processes."""
    global _installed
    if not _installed:
        event.listen(Session, "after_commit", _wake)
        event.listen(Session, "before_flush", _order_and_notify)
        _installed = True


async def listen(database_url: str, hub: StreamHub) -> None:
    """Wake `hub` whenever any process commits stream events (PostgreSQL LISTEN).

    Runs until cancelled. A dropped connection is made again with growing pauses; meanwhile
    the streams go on polling, and a wake-up after reconnecting catches up on what was missed.
    """
    import asyncpg

    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    delay = 0.5
    while True:
        try:
            conn = await asyncpg.connect(dsn, timeout=10)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            hub.listening = False
            if is_unreachable(exc):
                hub.outage.failed(exc)  # said once; the reconnects after it say nothing
            else:
                log.warning("cannot LISTEN for stream events (%s); retrying in %.1f s",
                            exc, delay)  # fmt: skip
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
            continue
        delay = 0.5
        hub.outage.succeeded()
        try:
            await _listen_on(conn, hub)
            hub.outage.failed(ConnectionError("the LISTEN connection was closed"))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            if is_unreachable(exc):
                hub.outage.failed(exc)
            else:
                log.warning("lost the LISTEN connection (%s); reconnecting", exc)
        finally:
            hub.listening = False
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)


async def _listen_on(conn: Any, hub: StreamHub) -> None:
    # Returns when the server closes the connection; raises when the line goes dead.
    closed = asyncio.Event()
    conn.add_termination_listener(lambda _conn: closed.set())
    await conn.add_listener(CHANNEL, lambda *_: hub.hear())
    hub.listening = True
    hub.hear()  # catch up on anything committed while nobody was listening
    while not closed.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(closed.wait(), KEEPALIVE_SECONDS)
        if not closed.is_set():
            # Notices a dead line that the socket itself would not report.
            await conn.execute("SELECT 1", timeout=5)
