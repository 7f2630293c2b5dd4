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
from console.api.errors import ApiError, AuthError

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
                http, headers = self.client.stream_request(self.last_event_id)
                async with aconnect_sse(
                    http, "GET", "/v1/stream", headers=headers, timeout=httpx.Timeout(10, read=60)
                ) as source:
                    if source.response.status_code == 401:
                        await self.client.ensure_fresh_token()  # refreshes, or raises AuthError
                        continue
                    if source.response.is_error:
                        raise httpx.HTTPStatusError(
                            "stream refused",
                            request=source.response.request,
                            response=source.response,
                        )
                    self._set("live")
                    failures = 0
                    async for sse in source.aiter_sse():
                        if sse.retry and self.honour_retry:
                            self.retry = sse.retry / 1000
                        if not sse.data:
                            continue
                        if sse.id:
                            self.last_event_id = sse.id
                        try:
                            data = json.loads(sse.data)
                        except ValueError:
                            continue
                        yield LiveEvent(id=sse.id or "", type=sse.event or "message", data=data)
            except asyncio.CancelledError:
                raise
            except AuthError:
                self._set("offline")
                raise
            except (httpx.HTTPError, ApiError, OSError):
                pass
            failures += 1
            self._set("reconnecting" if failures < 4 else "offline")
            delay = min(MAX_BACKOFF, max(self.min_delay, self.retry) * 2 ** min(failures - 1, 6))
            await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))  # noqa: S311
