"""`POST /v1/events`: engagement events from the platform's resident side."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from server.deps import DbSession, require
from server.principal import Principal
from server.schemas.events import BatchResult, EventBatch
from server.services import events as service

router = APIRouter(prefix="/v1", tags=["events"])

Sender = Annotated[Principal, Depends(require("admin", scope="events:write"))]


@router.post("/events", response_model=BatchResult)
async def post_events(body: EventBatch, principal: Sender, session: DbSession) -> BatchResult:
    """A batch of events (at most 5,000), idempotent by event id. Bad events are rejected
    one by one with a reason; the good ones are kept and counted."""
    return await service.ingest(session, principal, body.events)
