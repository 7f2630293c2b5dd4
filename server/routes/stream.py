"""`GET /v1/stream`: Server-Sent Events of what changes, resumable with Last-Event-ID.

Events: `stats.delta`, `submission.created`, `submission.updated`, `message.published`,
each with an id. The `stream_events` table is the source of truth: a client that comes back
within a day with its last id misses nothing. Heartbeats keep proxies from closing the line.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select

from server.deps import DbSession, require
from server.models import Neighbourhood, StreamEvent
from server.principal import Principal
from server.services.neighbourhoods import addressable
from server.stream import hub

router = APIRouter(prefix="/v1", tags=["stream"])

Listener = Annotated[Principal, Depends(require(scope="stats:read"))]
HEARTBEAT_SECONDS = 15.0
POLL_SECONDS = 1.0  # other processes' writes are seen at least this often
BATCH = 500


@router.get("/stream", response_class=StreamingResponse)
async def stream(
    request: Request,
    principal: Listener,
    session: DbSession,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """The live stream of the organisation's events."""
    # Plain values: the ORM objects expire when the request's session lets go below.
    org_id = principal.organisation.id
    municipality_id = principal.organisation.municipality_id
    allowed = set(
        (await session.scalars(addressable(principal).with_only_columns(Neighbourhood.id))).all()
    )
    if last_event_id and last_event_id.strip().isdigit():
        after = int(last_event_id)
    else:
        after = int(await session.scalar(select(func.coalesce(func.max(StreamEvent.id), 0))) or 0)
    await session.rollback()  # release the connection: the stream uses short sessions
    maker = request.app.state.sessionmaker

    def visible(e: StreamEvent) -> bool:
        if e.organisation_id is not None and e.organisation_id != org_id:
            return False
        return e.neighbourhood_id is None or e.neighbourhood_id in allowed

    async def events() -> AsyncIterator[str]:
        nonlocal after
        yield "retry: 3000\n\n"
        last_sent = time.monotonic()
        while not await request.is_disconnected():
            async with maker() as s:
                rows = (
                    await s.scalars(
                        select(StreamEvent)
                        .where(
                            StreamEvent.municipality_id == municipality_id,
                            StreamEvent.id > after,
                        )
                        .order_by(StreamEvent.id)
                        .limit(BATCH)
                    )
                ).all()
            for e in rows:
                after = e.id
                if visible(e):
                    data = json.dumps({**e.data, "at": e.at.isoformat()}, separators=(",", ":"))
                    yield f"id: {e.id}\nevent: {e.type}\ndata: {data}\n\n"
                    last_sent = time.monotonic()
            if len(rows) == BATCH:
                continue
            if time.monotonic() - last_sent > HEARTBEAT_SECONDS:
                yield ": heartbeat\n\n"
                last_sent = time.monotonic()
            await hub.wait(POLL_SECONDS)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
