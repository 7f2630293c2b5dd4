"""Neighbourhoods a caller may address: all of the municipality's, or an agency's subset."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Neighbourhood, organisation_neighbourhoods
from server.principal import Principal
from server.schemas import NeighbourhoodOut
from server.services.errors import NotFound
from server.services.listing import shown_columns


def addressable(principal: Principal) -> Select[Neighbourhood]:
    """The neighbourhoods the caller's organisation may see and address."""
    org = principal.organisation
    stmt = select(Neighbourhood).where(Neighbourhood.municipality_id == org.municipality_id)
    if org.is_agency:
        stmt = stmt.join(
            organisation_neighbourhoods,
            organisation_neighbourhoods.c.neighbourhood_id == Neighbourhood.id,
        ).where(organisation_neighbourhoods.c.organisation_id == org.id)
    return stmt


async def list_page(
    session: AsyncSession,
    principal: Principal,
    *,
    after: list[Any] | None,
    limit: int,
    q: str | None = None,
) -> list[Any]:
    """One page of rows (the table's columns, no ORM object), ordered by name then id."""
    stmt = addressable(principal).with_only_columns(*shown_columns(NeighbourhoodOut, Neighbourhood))
    if q:
        # `%` and `_` are the words typed, not wildcards.
        stmt = stmt.where(Neighbourhood.name.icontains(q, autoescape=True))
    if after is not None:
        stmt = stmt.where(tuple_(Neighbourhood.name, Neighbourhood.id) > tuple_(*after))
    stmt = stmt.order_by(Neighbourhood.name, Neighbourhood.id).limit(limit + 1)
    return list((await session.execute(stmt)).all())


async def get(session: AsyncSession, principal: Principal, neighbourhood_id: int) -> Neighbourhood:
    """One neighbourhood; one the caller may not see is a 404, like a missing one."""
    row = await session.scalar(addressable(principal).where(Neighbourhood.id == neighbourhood_id))
    if row is None:
        raise NotFound("No such neighbourhood.")
    return row
