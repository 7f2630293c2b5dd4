"""`/v1/stats/*`: figures from the rollups, for the neighbourhoods you may see."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from server.db import snapshot
from server.deps import DbSession, require
from server.principal import Principal
from server.readcache import ReadCache, writes
from server.schemas import DbId
from server.services import stats as service

router = APIRouter(prefix="/v1/stats", tags=["statistics"])

Reader = Annotated[Principal, Depends(require(scope="stats:read"))]
PERIODS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365, "all": None}
Period = Literal["7d", "30d", "90d", "365d", "all"]
Hoods = Annotated[list[DbId] | None, Query(alias="neighbourhood")]


@router.get("/overview")
async def overview(
    request: Request,
    principal: Reader,
    session: DbSession,
    period: Period = "30d",
    neighbourhoods: Hoods = None,
) -> dict[str, Any]:
    """Registered households and share, weekly active, contributors, interactions per
    household, posts, help requests and share solved, RSVPs, connections, encounters, views,
    survey responses, proposals, votes, posts by topic (with `topic_labels`, each topic's
    name per language); `as_of_event` is the newest stream
    event they include."""

    async def read() -> dict[str, Any]:
        await snapshot(session)
        return await service.overview(
            session, principal, days=PERIODS[period], neighbourhood_ids=neighbourhoods
        )

    # The same for everyone of the organisation until something is written.
    key = ("overview", principal.organisation.id, period, tuple(neighbourhoods or ()))
    epoch = (writes(), request.app.state.stream_hub.heard)
    figures: ReadCache[dict[str, Any]] = request.app.state.figures
    return await figures.get(key, epoch, read)


@router.get("/timeseries")
async def timeseries(
    principal: Reader,
    session: DbSession,
    metric: Annotated[str, Query(max_length=60, pattern=r"^[a-z_:0-9-]+$")] = "posts",
    granularity: Literal["day", "week", "month"] = "day",
    period: Period = "90d",
    neighbourhoods: Hoods = None,
    per_neighbourhood: bool = False,
) -> dict[str, Any]:
    """One metric over time, in total or per neighbourhood."""
    return await service.timeseries(
        session,
        principal,
        metric=metric,
        granularity=granularity,
        days=PERIODS[period],
        neighbourhood_ids=neighbourhoods,
        per_neighbourhood=per_neighbourhood,
    )


@router.get("/neighbourhoods")
async def neighbourhoods(
    principal: Reader,
    session: DbSession,
    period: Period = "30d",
    sort: Annotated[
        str, Query(pattern=rf"^-?({'|'.join(service.NEIGHBOURHOOD_COLUMNS)})$")
    ] = "-registered_share",
) -> list[dict[str, Any]]:
    """One row per neighbourhood; sort by any column, `-` for descending."""
    return await service.per_neighbourhood(session, principal, days=PERIODS[period], sort=sort)
