"""`/v1/audit`: the organisation's audit log, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from server.deps import Admin, DbSession
from server.pagination import Paging, page_json
from server.schemas import ID_MAX, AuditEntryOut, Page
from server.services import audit as service

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", response_model=Page[AuditEntryOut])
async def list_audit(
    principal: Admin,
    session: DbSession,
    paging: Paging,
    action: Annotated[str | None, Query(max_length=60)] = None,
    actor: Annotated[
        int | None, Query(ge=1, le=ID_MAX, description="Account id of the actor")
    ] = None,
) -> Response:
    """Who did what and when, newest first."""
    after = paging.after("audit", int)
    rows = await service.list_entries(
        session,
        principal.organisation.id,
        before_id=int(after[0]) if after else None,
        limit=paging.limit,
        action=action,
        actor_account_id=actor,
    )
    rows, next_cursor = paging.page(rows, "audit", lambda e: [e.id])
    return page_json(AuditEntryOut, rows, next_cursor)
