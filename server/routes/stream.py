"""`GET /v1/stream`: Server-Sent Events of what changes, resumable with Last-Event-ID.

Events: `stats.delta`, `submission.created`, `submission.updated`, `message.published`,
`results.updated` (a survey's or budget's results moved: `message_id`), each with an id.
A client that comes back within a day with its last id misses nothing.
Heartbeats keep proxies from closing the line. The token is checked again every
`stream_recheck_seconds` (30): once it has expired or was revoked, a last `auth.ended`
event (`{"reason": "expired" | "revoked"}`) ends the stream.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from server.deps import INBOX_READ_ROLES, MESSAGE_READ_SCOPES, DbSession, bearer_token, require
from server.logs import describe, is_unreachable
from server.models import ROLES, Neighbourhood, StreamEvent
from server.principal import Principal
from server.problems import DomainError
from server.services import auth as auth_service
from server.services.neighbourhoods import addressable
from server.stream import Item, StreamHub, to_item

router = APIRouter(prefix="/v1", tags=["stream"])

Listener = Annotated[Principal, Depends(require(scope="stats:read", fresh=True))]
BATCH = 500
log = logging.getLogger("buurt.stream")


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
    hub: StreamHub = request.app.state.stream_hub
    poll = request.app.state.settings.stream_poll_seconds

    # The stream carries only what the reader may read elsewhere: the inbox's events to
    # those who may read the inbox, messages to those who may read messages.
    inbox = principal.may(*INBOX_READ_ROLES, scopes=("submissions:read",))
    readable = {
        "stats.delta": True,
        "submission.created": inbox,
        "submission.updated": inbox,
        "message.published": principal.may(*ROLES, scopes=MESSAGE_READ_SCOPES),
        "results.updated": principal.may(*ROLES, scopes=MESSAGE_READ_SCOPES),
    }

    def visible(item: Item) -> bool:
        if item.municipality_id != municipality_id or not readable.get(item.type, False):
            return False
        if item.organisation_id is not None and item.organisation_id != org_id:
            return False
        return item.neighbourhood_id is None or item.neighbourhood_id in allowed

    async def from_table(after_id: int) -> list[Item]:
        # Resuming from further back than this process remembers.
        async with maker() as s:
            rows = (
                await s.scalars(
                    select(StreamEvent)
                    .where(
                        StreamEvent.municipality_id == municipality_id, StreamEvent.id > after_id
                    )
                    .order_by(StreamEvent.id)
                    .limit(BATCH)
                )
            ).all()
        return [to_item(r) for r in rows]

    token = bearer_token(request)
    recheck = request.app.state.settings.stream_recheck_seconds
    heartbeat = request.app.state.settings.stream_heartbeat_seconds

    async def access_ended() -> str | None:
        # The token that opened the stream, checked again: sign-out, revocation, expiry
        # or a disabled account end the stream (the client may come back with a fresh one).
        try:
            async with maker() as s:
                await auth_service.resolve_bearer(s, token, client_address=None, touch=False)
        except DomainError as problem:
            return "expired" if problem.extensions.get("expired") else "revoked"
        return None

    hub.start(maker, poll)

    async def events() -> AsyncIterator[str]:
        nonlocal after
        # The position it starts from, as the id of an empty event: a client that reconnects
        # before any event came resumes from here, and misses nothing meanwhile.
        yield f"retry: 3000\nid: {after}\n\n"
        last_sent = time.monotonic()
        next_check = last_sent + recheck
        hub.streams += 1
        try:
            await hub.catch_up()
            # No polling for a disconnect: the response ends this generator when the client
            # goes (Starlette watches; on ASGI 2.4 servers a failed send, heartbeats included).
            while True:
                seen = hub.rounds
                items = hub.since(after)
                if items is None:
                    items = await from_table(after)
                # One write for everything new: a batch of events is one send, not one each.
                chunk = []
                for item in items:
                    after = max(after, item.id)
                    if visible(item):
                        chunk.append(item.text)
                if chunk:
                    yield "".join(chunk)
                    last_sent = time.monotonic()
                if items and items[-1].id < (hub.last_id or 0):
                    continue  # more to catch up on
                if time.monotonic() >= next_check:
                    ended = await access_ended()
                    if ended is not None:
                        yield f'event: auth.ended\ndata: {{"reason": "{ended}"}}\n\n'
                        return
                    next_check = time.monotonic() + recheck
                if time.monotonic() - last_sent > heartbeat:
                    yield ": heartbeat\n\n"
                    last_sent = time.monotonic()
                # Woken by the hub when it read new rows; by itself for the next heartbeat or
                # check of the token.
                due = min(next_check, last_sent + heartbeat) - time.monotonic()
                await hub.wait(seen, max(due, 0.01))
                if hub.closing:
                    return  # the server is stopping; the client resumes with Last-Event-ID
        except (SQLAlchemyError, OSError) as error:
            # The database went away under an open stream (its answer has begun: no problem
            # document can follow). The stream ends; the client resumes with Last-Event-ID.
            if is_unreachable(error):
                hub.outage.failed(error)
            else:
                log.warning("a stream ended on a database error (%s)", describe(error))
            return
        finally:
            hub.streams -= 1

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
