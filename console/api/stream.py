"""The live stream (Server-Sent Events) with reconnection: it keeps the last event id, sends
it back as Last-Event-ID, honours the server's `retry`, and backs off exponentially while
the server is away. Cancelling the task that iterates stops it."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from console.api.client import ApiClient
from console.api.errors import (
    ApiError,
    AuthError,
    NotFound,
    NotSignedIn,
    PermissionDenied,
    error_of,
)
from console.api.inert import inert_data

MAX_BACKOFF = 30.0


@dataclass
class LiveEvent:
    """One event from the stream."""

    id: str
    type: str
    data: dict[str, Any]


class LiveStream:
    """Iterate to receive events for as long as you like; `on_state` hears "live",
    "reconnecting" and "offline" as they change."""

    def __init__(
        self,
        client: ApiClient,
        *,
        on_state: Callable[[str], None] | None = None,
        last_event_id: str | None = None,
        min_delay: float = 0.5,
        honour_retry: bool = True,
    ) -> None:
        self.client = client
        self.on_state = on_state or (lambda _state: None)
        self.last_event_id = last_event_id
        self.min_delay = min_delay
        self.honour_retry = honour_retry
        self.retry = 3.0 if honour_retry else min_delay
        self.state = ""

    def _set(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.on_state(state)

    async def events(self) -> AsyncIterator[LiveEvent]:
        """Events, forever; reconnects by itself."""
        failures = 0
        while True:
            try:
                http, headers, auth = self.client.stream_request(self.last_event_id)
                async with aconnect_sse(
                    http, "GET", "/v1/stream", headers=headers, auth=auth,
                    timeout=httpx.Timeout(10, read=60),
                ) as source:  # fmt: skip
                    if source.response.is_error:
                        # The auth flow refreshed already: what is refused now stays refused.
                        await source.response.aread()
                        raise error_of(source.response)
                    self._set("live")
                    failures = 0
                    async for sse in source.aiter_sse():
                        if sse.retry and self.honour_retry:
                            self.retry = sse.retry / 1000
                        if sse.event == "auth.ended":
                            # The server ended the stream with our access (expired or
                            # revoked): come back at once; the auth flow refreshes.
                            failures = -1
                            break
                        if sse.id:
                            self.last_event_id = sse.id
                        if not sse.data:
                            continue  # the opening position, or a comment
                        try:
                            data = inert_data(json.loads(sse.data))
                        except ValueError:
                            continue
                        yield LiveEvent(id=sse.id or "", type=sse.event or "message", data=data)
            except asyncio.CancelledError:
                raise
            except (AuthError, NotSignedIn, PermissionDenied, NotFound):
                # Retrying cannot help: the caller tells the person why.
                self._set("offline")
                raise
            except (httpx.HTTPError, ApiError, OSError):
                pass
            failures += 1
            if failures == 0:
                continue  # the stream ended with our access: reconnect without waiting
            self._set("reconnecting" if failures < 4 else "offline")
            delay = min(MAX_BACKOFF, max(self.min_delay, self.retry) * 2 ** min(failures - 1, 6))
            await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))  # noqa: S311
