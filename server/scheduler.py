"""The background loop of every server process: publishes due messages, forgets old keys.

It runs at start-up first, so a message due while the server was down goes out at once
(marked late). Several processes may run it at the same time: each message is claimed with
a conditional update, so it is published once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI

from server.logs import is_unreachable
from server.services import idempotency, live, messages

log = logging.getLogger("buurt.scheduler")
PURGE_EVERY = 720  # rounds: an hour at the default 5 s


async def run_scheduler(app: FastAPI, stop: asyncio.Event | None = None) -> None:
    """Loop until `stop` is set (between rounds: a round under way finishes, so shutdown
    never cuts a transaction in half) or the task is cancelled; a failing round is logged and
    the loop goes on. A database outage is one warning when it starts and one line when it
    ends, not a line at every round."""
    maker = app.state.sessionmaker
    interval = app.state.settings.scheduler_interval_seconds
    stop = stop or asyncio.Event()
    outage = app.state.outage
    rounds = 0
    while not stop.is_set():
        try:
            published = await messages.publish_due(maker)
            if published:
                log.info("published %d scheduled message(s)", published)
            if rounds % PURGE_EVERY == 0:
                async with maker() as session:
                    await idempotency.purge(session)
                    await live.purge(session)
            outage.succeeded()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if is_unreachable(error):
                outage.failed(error)
                rounds -= 1  # the purge waits for the database too
            else:
                log.exception("scheduler round failed; trying again in %s s", interval)
        rounds += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
