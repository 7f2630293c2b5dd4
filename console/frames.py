"""Work that can wait for a frame: what is known is drawn first, then the server is asked.

The console's first requests set up the HTTP stack (httpcore, anyio, the TLS context: tens
of ms of a busy event loop); a worker that would start them right away delays the frame
that shows what the console already remembers.
"""

from __future__ import annotations

import asyncio
import contextlib

from textual.message_pump import MessagePump


async def drawn(node: MessagePump, at_most: float = 1.0) -> None:
    """Return once the screen in front has drawn its next frame, or after `at_most` seconds
    (a screen closed meanwhile draws none). For a worker: not from `node`'s own messages."""
    done = asyncio.Event()
    node.call_after_refresh(done.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), at_most)
