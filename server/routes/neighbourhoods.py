"""`/v1/neighbourhoods`: those the caller may address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from server.deps import MESSAGE_READ_SCOPES, DbSession, require
from server.pagination import Paging, page_json
from server.principal import Principal
from server.schemas import NeighbourhoodOut, Page, PathId
from server.services import neighbourhoods as service

# Scripts that address neighbourhoods by name (broadcast, statistics) read them.
HoodReader = Annotated[Principal, Depends(require(scope=(*MESSAGE_READ_SCOPES, "stats:read")))]

router = APIRouter(prefix="/v1/neighbourhoods", tags=["neighbourhoods"])


@router.get("", response_model=Page[NeighbourhoodOut])
async def list_neighbourhoods(
    principal: HoodReader,
    session: DbSession,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=100, description="Name contains")] = None,
) -> Response:
    """The neighbourhoods you may address, by name, with their total households."""
    after = paging.after("neighbourhoods", str, int)
    rows = await service.list_page(session, principal, after=after, limit=paging.limit, q=q)
    rows, next_cursor = paging.page(rows, "neighbourhoods", lambda n: [n.name, n.id])
    return page_json(NeighbourhoodOut, rows, next_cursor)


@router.get("/{neighbourhood_id:int}", response_model=NeighbourhoodOut)
async def get_neighbourhood(
    neighbourhood_id: PathId, principal: HoodReader, session: DbSession
) -> NeighbourhoodOut:
    """One neighbourhood; one outside your organisation is a 404."""
    return NeighbourhoodOut.model_validate(await service.get(session, principal, neighbourhood_id))
