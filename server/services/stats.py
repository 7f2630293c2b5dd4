"""Statistics, read from the rollups only (never by scanning events), scoped to the
neighbourhoods the caller's organisation may see."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

import config
from server import clock
from server.models import (
    DailyRollup,
    HouseholdActivity,
    MunicipalityRollup,
    Neighbourhood,
    StreamEvent,
)
from server.principal import Principal
from server.schemas.events import TOPICS
from server.services.errors import DomainError, Invalid, NotFound
from server.services.events import PARTICIPATION_METRICS
from server.services.neighbourhoods import addressable

TOPIC_LABELS = config.topics()
COUNTED = (
    "registrations", "registrations_invitation", "registrations_organic", "posts", "comments",
    "reactions", "help_requests", "help_solved", "activities", "rsvp_interested",
    "rsvp_attending", "helpers", "volunteers", "connections", "encounters", "message_views",
    "survey_responses", "proposals", "votes",
)  # fmt: skip
INTERACTIONS = ("posts", "comments", "reactions")
# The rolling windows of the distinct-household figures: the same meaning on every day.
ACTIVE_DAYS, CONTRIBUTOR_DAYS = 7, 30


async def scope(
    session: AsyncSession, principal: Principal, neighbourhood_ids: list[int] | None
) -> list[Neighbourhood]:
    """The neighbourhoods asked for, within those the caller may see (404 otherwise)."""
    hoods = list((await session.scalars(addressable(principal).order_by(Neighbourhood.name))).all())
    if not neighbourhood_ids:
        return hoods
    by_id = {h.id: h for h in hoods}
    missing = [i for i in neighbourhood_ids if i not in by_id]
    if missing:
        raise NotFound(f"No neighbourhood {missing[0]} in your organisation.")
    return [by_id[i] for i in neighbourhood_ids]


def zone_of(principal: Principal) -> str:
    """The caller's municipality's time zone: its days are the figures' days."""
    return principal.organisation.municipality.timezone


async def whole_municipality(
    session: AsyncSession, principal: Principal, neighbourhood_ids: list[int] | None
) -> int | None:
    """The municipality's id when the figures asked for are the whole city's (then the
    municipality rollups answer); None for an agency or a chosen set of neighbourhoods."""
    if neighbourhood_ids or principal.organisation.is_agency:
        return None
    return principal.organisation.municipality_id


async def sums(
    session: AsyncSession, hood_ids: list[int], since: date | None, city: int | None = None
) -> dict[str, int]:
    """Each metric summed over the neighbourhoods (or the whole city) since a day."""
    if city is not None:
        city_stmt = (
            select(MunicipalityRollup.metric, func.sum(MunicipalityRollup.value))
            .where(MunicipalityRollup.municipality_id == city)
            .group_by(MunicipalityRollup.metric)
        )
        if since:
            city_stmt = city_stmt.where(MunicipalityRollup.day >= since)
        rows = (await session.execute(city_stmt)).all()
        return {metric: int(total or 0) for metric, total in rows}
    stmt = (
        select(DailyRollup.metric, func.sum(DailyRollup.value))
        .where(DailyRollup.neighbourhood_id.in_(hood_ids))
        .group_by(DailyRollup.metric)
    )
    if since:
        stmt = stmt.where(DailyRollup.day >= since)
    return {metric: int(total or 0) for metric, total in (await session.execute(stmt)).all()}


def _recent(set_name: str, days: int, today: date) -> Any:
    return and_(
        HouseholdActivity.set_name == set_name,
        HouseholdActivity.last_day >= today - timedelta(days=days - 1),
    )


async def recent_households(
    session: AsyncSession, hood_ids: list[int], today: date
) -> dict[str, int]:
    """Distinct households active in the last 7 days and contributing in the last 30
    (ending `today`), over the neighbourhoods."""
    rows = await session.execute(
        select(HouseholdActivity.set_name, func.count())
        .where(
            HouseholdActivity.neighbourhood_id.in_(hood_ids),
            or_(
                _recent("active", ACTIVE_DAYS, today),
                _recent("contributor", CONTRIBUTOR_DAYS, today),
            ),
        )
        .group_by(HouseholdActivity.set_name)
    )
    return {set_name: int(n) for set_name, n in rows.all()}


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def overview(
    session: AsyncSession,
    principal: Principal,
    *,
    days: int | None,
    neighbourhood_ids: list[int] | None = None,
) -> dict[str, Any]:
    """The dashboard's figures for a period (days back from today, or all time).

    `as_of_event`: the newest live-stream event these figures include (call it within one
    snapshot, `server.db.snapshot`), so that a client adding `stats.delta`s skips the older.
    """
    as_of = await session.scalar(select(func.coalesce(func.max(StreamEvent.id), 0)))
    hoods = await scope(session, principal, neighbourhood_ids)
    ids = [h.id for h in hoods]
    registered = sum(h.registered_households for h in hoods)
    total = sum(h.total_households for h in hoods)
    since = clock.first_day(days, zone_of(principal))
    city = await whole_municipality(session, principal, neighbourhood_ids)
    totals = await sums(session, ids, since, city)
    recent = await recent_households(session, ids, clock.today(zone_of(principal)))
    active, contributors = recent.get("active", 0), recent.get("contributor", 0)
    metrics: dict[str, int | None] = {m: totals.get(m, 0) for m in COUNTED}
    if neighbourhood_ids or len(hoods) < 2:
        # One neighbourhood, or a few chosen: subtracting them from the city's would give
        # a neighbourhood's answers and votes outside the results' rule.
        metrics.update(dict.fromkeys(PARTICIPATION_METRICS))
    interactions = sum(totals.get(m, 0) for m in INTERACTIONS)
    # Only the vocabulary's topics, should older data hold anything else.
    topics = {
        code: n
        for m, n in totals.items()
        if m.startswith("topic:") and (code := m.split(":", 1)[1]) in TOPICS
    }
    return {
        "period_days": days,
        "neighbourhoods": len(hoods),
        "registered_households": registered,
        "total_households": total,
        "registered_share": share(registered, total),
        "active_7d": active,
        "active_7d_share": share(active, registered),
        "contributors_30d": contributors,
        "contributors_30d_share": share(contributors, registered),
        "interactions": interactions,
        "interactions_per_household": round(interactions / registered, 2) if registered else None,
        "help_solved_share": share(totals.get("help_solved", 0), totals.get("help_requests", 0)),
        "metrics": metrics,
        "topics": dict(sorted(topics.items(), key=lambda kv: -kv[1])),
        # What each topic is called, in every language of the vocabulary.
        "topic_labels": {code: TOPIC_LABELS[code] for code in topics},
        "as_of_event": int(as_of or 0),
    }


def bucket(day: date, granularity: str) -> str:
    if granularity == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    if granularity == "month":
        return day.replace(day=1).isoformat()
    return day.isoformat()


async def timeseries(
    session: AsyncSession,
    principal: Principal,
    *,
    metric: str,
    granularity: str,
    days: int | None,
    neighbourhood_ids: list[int] | None,
    per_neighbourhood: bool,
) -> dict[str, Any]:
    """A metric per day, week or month; in total or per neighbourhood."""
    hoods = await scope(session, principal, neighbourhood_ids)
    if metric in PARTICIPATION_METRICS and (
        neighbourhood_ids or per_neighbourhood or len(hoods) < 2
    ):
        raise DomainError(
            "suppressed",
            "Answers, proposals and votes per neighbourhood are in each message's results, "
            "where too few to show apart are held back.",
        )
    names = {h.id: h.name for h in hoods}
    since = clock.first_day(days, zone_of(principal))
    series: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    city = await whole_municipality(session, principal, neighbourhood_ids)
    if city is not None and not per_neighbourhood:
        city_stmt = select(MunicipalityRollup.day, MunicipalityRollup.value).where(
            MunicipalityRollup.municipality_id == city, MunicipalityRollup.metric == metric
        )
        if since:
            city_stmt = city_stmt.where(MunicipalityRollup.day >= since)
        for day, value in (await session.execute(city_stmt)).all():
            series["total"][bucket(day, granularity)] += int(value)
    else:
        stmt = select(DailyRollup.neighbourhood_id, DailyRollup.day, DailyRollup.value).where(
            DailyRollup.neighbourhood_id.in_(list(names)), DailyRollup.metric == metric
        )
        if since:
            stmt = stmt.where(DailyRollup.day >= since)
        for hood, day, value in (await session.execute(stmt)).all():
            key = names[hood] if per_neighbourhood else "total"
            series[key][bucket(day, granularity)] += int(value)
    return {
        "metric": metric,
        "granularity": granularity,
        "series": {
            name: [{"bucket": b, "value": v} for b, v in sorted(points.items())]
            for name, points in sorted(series.items())
        },
    }


# The columns of the neighbourhood comparison, each a sort key.
NEIGHBOURHOOD_COLUMNS = (
    "id", "name", "total_households", "registered_households", "registered_share",
    "active_7d_share", "posts", "interactions", "interactions_per_household",
    "help_requests", "help_solved", "new_households",
)  # fmt: skip


async def per_neighbourhood(
    session: AsyncSession, principal: Principal, *, days: int | None, sort: str
) -> list[dict[str, Any]]:
    """One row per neighbourhood, for comparing them."""
    hoods = await scope(session, principal, None)
    ids = [h.id for h in hoods]
    since = clock.first_day(days, zone_of(principal))
    stmt = (
        select(DailyRollup.neighbourhood_id, DailyRollup.metric, func.sum(DailyRollup.value))
        .where(DailyRollup.neighbourhood_id.in_(ids))
        .group_by(DailyRollup.neighbourhood_id, DailyRollup.metric)
    )
    if since:
        stmt = stmt.where(DailyRollup.day >= since)
    per: dict[int, dict[str, int]] = defaultdict(dict)
    for hood, metric, value in (await session.execute(stmt)).all():
        per[hood][metric] = int(value or 0)
    active_rows = await session.execute(
        select(HouseholdActivity.neighbourhood_id, func.count())
        .where(
            HouseholdActivity.neighbourhood_id.in_(ids),
            _recent("active", ACTIVE_DAYS, clock.today(zone_of(principal))),
        )
        .group_by(HouseholdActivity.neighbourhood_id)
    )
    active = {h: int(n) for h, n in active_rows.all()}
    rows: list[dict[str, Any]] = []
    for h in hoods:
        m = per.get(h.id, {})
        interactions = sum(m.get(k, 0) for k in INTERACTIONS)
        rows.append(
            {
                "id": h.id,
                "name": h.name,
                "total_households": h.total_households,
                "registered_households": h.registered_households,
                "registered_share": share(h.registered_households, h.total_households),
                "active_7d_share": share(active.get(h.id, 0), h.registered_households),
                "posts": m.get("posts", 0),
                "interactions": interactions,
                "interactions_per_household": (
                    round(interactions / h.registered_households, 2)
                    if h.registered_households
                    else None
                ),
                "help_requests": m.get("help_requests", 0),
                "help_solved": m.get("help_solved", 0),
                "new_households": m.get("registrations", 0),
            }
        )
    key = sort.lstrip("-")
    if key not in NEIGHBOURHOOD_COLUMNS:
        raise Invalid(f"sort: one of {', '.join(NEIGHBOURHOOD_COLUMNS)}.")
    rows.sort(key=lambda r: (r[key] is None, r[key]), reverse=sort.startswith("-"))
    return rows
