"""`GET /v1/stream`: Server-Sent Events of what changes, resumable with Last-Event-ID.

Events: `stats.delta`, `submission.created`, `submission.updated`, `message.published`,
`results.updated` (a survey's or budget's results moved: `message_id`), each with an id.
A client that comes back within a day with its last id misses nothing.
Heartbeats keep proxies from closing the line. The token is checked again every
`stream_recheck_seconds` (30): once it has expired or was revoked, a last `auth.ended`
event (`{"reason": "expired" | "revoked"}`) ends the stream.

The framing is FastAPI's (`fastapi.sse.format_sse_event`, `EventSourceResponse`). The
route does not yield through FastAPI's SSE path: that one hands every event through a
producer task and two memory streams, and makes each event a write of its own, which
doubled the server's CPU per delivered event (bench/stream.py: 133 -> 283 µs per event per
stream); one generator of ours sends everything new in one write. Everything that can
refuse the stream (the token, its roles, a bad parameter) is settled before the answer
starts, so a refusal is still a problem document.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse
from fastapi.sse import EventSourceResponse, format_sse_event
from sqlalchemy.exc import SQLAlchemyError

from server.deps import INBOX_READ_ROLES, MESSAGE_READ_SCOPES, DbSession, bearer_token, require
from server.logs import describe, is_unreachable
from server.models import ROLES, Neighbourhood
from server.principal import Principal
from server.problems import DomainError
from server.services import auth as auth_service
from server.services.neighbourhoods import addressable
from server.settings import Settings
from server.stream import Item, StreamHub, newest_id, read_after

router = APIRouter(prefix="/v1", tags=["stream"])

Listener = Annotated[Principal, Depends(require(scope="stats:read", fresh=True))]
BATCH = 500  # events a stream resuming from further back than the hub reads at a time
RETRY_MS = 3000
HEARTBEAT = format_sse_event(comment="heartbeat")
EVENT_STREAM: dict[str, Any] = {
    "description": "Server-Sent Events",
    "content": {"text/event-stream": {}},
}
# A proxy must not hold events back, nor a cache keep them.
UNBUFFERED = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
log = logging.getLogger("buurt.stream")


@dataclass(frozen=True)
class Opening:
    """What a stream was opened with, in plain values (the ORM objects expire when the
    request's session lets go): who listens, what they may see, where the stream starts."""

    municipality_id: int
    organisation_id: int
    neighbourhoods: frozenset[int]
    types: frozenset[str]
    token: str
    after: int

    def sees(self, item: Item) -> bool:
        """Whether this listener may see `item`."""
        if item.municipality_id != self.municipality_id or item.type not in self.types:
            return False
        if item.organisation_id is not None and item.organisation_id != self.organisation_id:
            return False
        return item.neighbourhood_id is None or item.neighbourhood_id in self.neighbourhoods


def readable_types(principal: Principal) -> frozenset[str]:
    """The event types `principal` may receive: only what they may read elsewhere (the
    inbox's events to those who may read the inbox, messages to those who may read them)."""
    inbox = principal.may(*INBOX_READ_ROLES, scopes=("submissions:read",))
    messages = principal.may(*ROLES, scopes=MESSAGE_READ_SCOPES)
    readable = {
        "stats.delta": True,
        "submission.created": inbox,
        "submission.updated": inbox,
        "message.published": messages,
        "results.updated": messages,
    }
    return frozenset(kind for kind, may in readable.items() if may)


async def open_stream(
    request: Request,
    principal: Listener,
    session: DbSession,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> Opening:
    """Dependency: the stream's opening, from the caller and Last-Event-ID (without one, or
    with one that is not an id, the stream starts after the newest event)."""
    neighbourhoods = await session.scalars(
        addressable(principal).with_only_columns(Neighbourhood.id)
    )
    opening = Opening(
        municipality_id=principal.organisation.municipality_id,
        organisation_id=principal.organisation.id,
        neighbourhoods=frozenset(neighbourhoods.all()),
        types=readable_types(principal),
        token=bearer_token(request),
        after=(
            int(last_event_id)
            if last_event_id and last_event_id.strip().isdigit()
            else await newest_id(session)
        ),
    )
    await session.rollback()  # release the connection: the stream uses short sessions
    return opening


async def access_ended(maker: Any, token: str) -> str | None:
    """Why the token that opened the stream no longer holds ("expired" or "revoked": sign-out,
    revocation, a disabled account), or None while it does."""
    try:
        async with maker() as session:
            await auth_service.resolve_bearer(session, token, client_address=None, touch=False)
    except DomainError as problem:
        return "expired" if problem.extensions.get("expired") else "revoked"
    return None


async def pending(hub: StreamHub, maker: Any, opening: Opening, after: int) -> list[Item]:
    """The events after `after`: from the hub's memory, or from the table when resuming from
    further back than it remembers."""
    items = hub.since(after)
    if items is not None:
        return items
    async with maker() as session:
        return await read_after(session, after, BATCH, opening.municipality_id)


async def follow(
    hub: StreamHub, maker: Any, settings: Settings, opening: Opening
) -> AsyncIterator[bytes]:
    """The events `opening` may see as they come, a heartbeat when idle, and `auth.ended`
    once its token no longer holds. Ends when the server stops."""
    after = opening.after
    last_sent = time.monotonic()
    next_check = last_sent + settings.stream_recheck_seconds
    await hub.catch_up()
    # No polling for a disconnect: the response ends this generator when the client goes
    # (Starlette watches; on ASGI 2.4 servers a failed send, heartbeats included).
    while True:
        seen = hub.rounds
        items = await pending(hub, maker, opening, after)
        if items:
            after = max(after, items[-1].id)
        # One write for everything new: a batch of events is one send, not one each.
        chunk = b"".join(item.block for item in items if opening.sees(item))
        if chunk:
            yield chunk
            last_sent = time.monotonic()
        if items and items[-1].id < (hub.last_id or 0):
            continue  # more to catch up on
        if time.monotonic() >= next_check:
            ended = await access_ended(maker, opening.token)
            if ended is not None:
                yield format_sse_event(event="auth.ended", data_str=json.dumps({"reason": ended}))
                return
            next_check = time.monotonic() + settings.stream_recheck_seconds
        if time.monotonic() - last_sent > settings.stream_heartbeat_seconds:
            yield HEARTBEAT
            last_sent = time.monotonic()
        # Woken by the hub when it read new rows; by itself for the next heartbeat or
        # check of the token.
        due = min(next_check, last_sent + settings.stream_heartbeat_seconds) - time.monotonic()
        await hub.wait(seen, max(due, 0.01))
        if hub.closing:
            return  # the server is stopping; the client resumes with Last-Event-ID


async def events(
    hub: StreamHub, maker: Any, settings: Settings, opening: Opening
) -> AsyncIterator[bytes]:
    """The whole answer: the opening position, then `follow` until it ends, the server stops
    or the database goes away."""
    # The position it starts from, as the id of an empty event: a client that reconnects
    # before any event came resumes from here, and misses nothing meanwhile.
    yield format_sse_event(id=str(opening.after), retry=RETRY_MS)
    hub.streams += 1
    try:
        async for chunk in follow(hub, maker, settings, opening):
            yield chunk
    except (SQLAlchemyError, OSError) as error:
        # The database went away under an open stream (its answer has begun: no problem
        # document can follow). The stream ends; the client resumes with Last-Event-ID.
        if is_unreachable(error):
            hub.outage.failed(error)
        else:
            log.warning("a stream ended on a database error (%s)", describe(error))
    finally:
        hub.streams -= 1


@router.get("/stream", response_class=StreamingResponse, responses={200: EVENT_STREAM})
async def stream(
    request: Request, opening: Annotated[Opening, Depends(open_stream)]
) -> EventSourceResponse:
    """The live stream of the organisation's events."""
    hub: StreamHub = request.app.state.stream_hub
    settings: Settings = request.app.state.settings
    maker = request.app.state.sessionmaker
    hub.start(maker, settings.stream_poll_seconds)
    return EventSourceResponse(events(hub, maker, settings, opening), headers=UNBUFFERED)
