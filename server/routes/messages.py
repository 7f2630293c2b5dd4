"""`/v1/messages`: compose, schedule, publish and withdraw city messages; their reach."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from server.deps import (
    DbSession,
    IdempotencyKey,
    MessageReader,
    RequiredIdempotencyKey,
    RequiredIfMatch,
    key_required,
    require,
)
from server.pagination import Paging, page_json
from server.principal import Principal
from server.responses import once, with_etag
from server.schemas import Page, PathId, QueryId
from server.schemas.messages import (
    MessageCreate,
    MessageKind,
    MessageOut,
    MessageState,
    MessageUpdate,
    ReachOut,
    ReachRequest,
)
from server.services import messages as service

router = APIRouter(prefix="/v1/messages", tags=["messages"])

Publisher = Annotated[Principal, Depends(require("communicator", "admin", scope="messages:write"))]


@router.post("/reach", response_model=ReachOut)
async def reach(body: ReachRequest, principal: MessageReader, session: DbSession) -> ReachOut:
    """Registered and total households in the chosen targets, before sending."""
    _all, hoods = await service.resolve_targets(session, principal, body.targets)
    return service.reach_of(hoods)


@router.post("", status_code=201, response_model=MessageOut)
async def create_message(
    body: MessageCreate,
    request: Request,
    principal: Publisher,
    session: DbSession,
    key: IdempotencyKey,
) -> JSONResponse:
    """Save a draft, publish now, or schedule. Publishing and scheduling need an
    Idempotency-Key: the same key with the same request returns the first answer."""
    if body.action != "draft":
        key = key_required(key)
    return await once(
        request, session, principal, key, body, lambda: service.create(session, principal, body)
    )


@router.get("", response_model=Page[MessageOut])
async def list_messages(
    principal: MessageReader,
    session: DbSession,
    paging: Paging,
    state: MessageState | None = None,
    kind: MessageKind | None = None,
    neighbourhood: QueryId = None,
    author: QueryId = None,
    q: Annotated[str | None, Query(max_length=200, description="Words in title or body")] = None,
) -> Response:
    """The organisation's messages, most recently changed first."""
    after = paging.after("messages", datetime, int)
    rows = await service.list_page(
        session,
        principal,
        after=after,
        limit=paging.limit,
        state=state,
        kind=kind,
        neighbourhood=neighbourhood,
        author=author,
        text=q,
    )
    rows, next_cursor = paging.page(rows, "messages", lambda m: [m.updated_at, m.id])
    return page_json(MessageOut, await service.rows_out(session, rows), next_cursor)


@router.get("/{message_id:int}", response_model=MessageOut)
async def get_message(
    message_id: PathId, principal: MessageReader, session: DbSession
) -> JSONResponse:
    """One message; its version is also in the ETag header, for If-Match."""
    return with_etag(service.to_out(await service.get(session, principal, message_id)))


@router.put("/{message_id:int}", response_model=MessageOut)
async def edit_message(
    message_id: PathId,
    body: MessageUpdate,
    principal: Publisher,
    session: DbSession,
    version: RequiredIfMatch,
) -> JSONResponse:
    """Replace a draft's or scheduled message's content. If-Match must carry the version
    you edited; a newer one is a 412 problem with the current message."""
    return with_etag(
        service.to_out(await service.edit(session, principal, message_id, body, version))
    )


@router.post("/{message_id:int}/publish", response_model=MessageOut)
async def publish_message(
    message_id: PathId,
    request: Request,
    principal: Publisher,
    session: DbSession,
    key: RequiredIdempotencyKey,
) -> JSONResponse:
    """Publish a draft or a scheduled message now (Idempotency-Key required)."""
    return await once(
        request, session, principal, key, None,
        lambda: service.publish_now(session, principal, message_id),
    )  # fmt: skip


@router.post("/{message_id:int}/withdraw", response_model=MessageOut)
async def withdraw_message(
    message_id: PathId, principal: Publisher, session: DbSession
) -> MessageOut:
    """Take a published or scheduled message back. Withdrawing twice is harmless."""
    return service.to_out(await service.withdraw(session, principal, message_id))
