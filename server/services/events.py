"""Engagement events in, rollups kept current in the same transaction, deltas out to the stream.

Every statistic is read from `daily_rollups` and `household_activity`; nothing ever scans
`engagement_events`. A day is the municipality's (its time zone), whatever offset the sender
wrote. Distinct households (active, contributors) keep their last active day, so a household
active on three days of a week counts once in "the last 7 days".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.db import begin_write
from server.models import (
    CityMessage,
    DailyRollup,
    EngagementEvent,
    HouseholdActivity,
    Municipality,
    MunicipalityRollup,
    Neighbourhood,
    Organisation,
    StreamEvent,
    utcnow,
)
from server.principal import Principal
from server.schemas.events import BatchResult, EventIn, Rejected
from server.services.neighbourhoods import addressable
from server.upserts import increment, insert_new, keep_latest

METRIC_FOR = {
    "registration": "registrations",
    "post": "posts",
    "comment": "comments",
    "reaction": "reactions",
    "help_request": "help_requests",
    "help_solved": "help_solved",
    "activity": "activities",
    "helper_signup": "helpers",
    "volunteer_signup": "volunteers",
    "connection": "connections",
    "encounter": "encounters",
    "message_view": "message_views",
    "survey_response": "survey_responses",
    "proposal": "proposals",
    "vote": "votes",
}
CONTRIBUTIONS = frozenset({"post", "comment", "reaction"})
# Counts of taking part (answers, proposals, votes): per neighbourhood they are a message's
# results, shown only there, under its disclosure rule (server/services/disclosure.py).
PARTICIPATION_METRICS = frozenset({"survey_responses", "proposals", "votes"})
FUTURE_SLACK = timedelta(minutes=5)


async def city_zone(session: AsyncSession, municipality_id: int) -> str:
    """The municipality's time zone: the days its figures are counted on."""
    timezone = await session.scalar(
        select(Municipality.timezone).where(Municipality.id == municipality_id)
    )
    return timezone or "UTC"


def metrics_of(event: EventIn) -> list[str]:
    """The rollup metrics one event adds 1 to."""
    names = [METRIC_FOR.get(event.type, "")] if event.type != "rsvp" else []
    if event.type == "registration":
        names.append(f"registrations_{event.channel or 'organic'}")
    elif event.type == "post" and event.topic:
        names.append(f"topic:{event.topic}")
    elif event.type == "rsvp":
        names.append(f"rsvp_{event.response or 'interested'}")
    return [n for n in names if n]


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))


async def ingest(
    session: AsyncSession, principal: Principal, raw_events: list[dict[str, Any]]
) -> BatchResult:
    """Store new events, count them into the rollups, and queue the live deltas. Bad events
    are rejected one by one with a reason; the good ones are kept."""
    await begin_write(session)
    municipality_id = principal.organisation.municipality_id
    allowed = set(
        (await session.scalars(addressable(principal).with_only_columns(Neighbourhood.id))).all()
    )
    now = utcnow()
    rejected: list[Rejected] = []
    valid: dict[str, EventIn] = {}
    for index, raw in enumerate(raw_events):
        event_id = raw.get("id") if isinstance(raw, dict) else None
        try:
            event = EventIn.model_validate(raw)
        except ValidationError as error:
            rejected.append(
                Rejected(index=index, id=str(event_id) if event_id else None, reason=_reason(error))
            )
            continue
        if event.neighbourhood_id not in allowed:
            rejected.append(
                Rejected(index=index, id=event.id, reason="neighbourhood_id: not one of yours")
            )
        elif event.at > now + FUTURE_SLACK:
            rejected.append(Rejected(index=index, id=event.id, reason="at: in the future"))
        elif event.id in valid:
            rejected.append(Rejected(index=index, id=event.id, reason="id: twice in this batch"))
        else:
            valid[event.id] = event
    fresh = await store(session, municipality_id, valid)
    await session.commit()
    return BatchResult(accepted=len(fresh), duplicates=len(valid) - len(fresh), rejected=rejected)


async def store(
    session: AsyncSession, municipality_id: int, valid: dict[str, EventIn]
) -> list[EventIn]:
    """Keep the events not seen before, count them into the rollups and queue the live
    deltas, in the caller's transaction (which commits). Returns the events that were new."""
    fresh = await _keep_new(session, municipality_id, valid)
    tally = Tally.of(fresh, await city_zone(session, municipality_id))
    await _add_rollups(session, municipality_id, tally)
    await _add_counters(session, municipality_id, tally)
    for hood, metrics in tally.deltas.items():
        session.add(
            StreamEvent(
                municipality_id=municipality_id,
                neighbourhood_id=hood,
                type="stats.delta",
                data={"neighbourhood_id": hood, "metrics": dict(metrics)},
            )
        )
    return fresh


async def _keep_new(
    session: AsyncSession, municipality_id: int, valid: dict[str, EventIn]
) -> list[EventIn]:
    """Insert the events whose id is new for the municipality; those, in their order."""
    rows = [
        {
            "municipality_id": municipality_id,
            "event_id": e.id,
            "type": e.type,
            "household": e.household,
            "neighbourhood_id": e.neighbourhood_id,
            "at": e.at,
            "attrs": {
                k: v
                for k, v in {
                    "channel": e.channel,
                    "topic": e.topic,
                    "response": e.response,
                    "message_id": e.message_id,
                }.items()
                if v is not None
            },
        }
        for e in valid.values()
    ]
    inserted = {
        row[0]
        for row in await insert_new(
            session, EngagementEvent.__table__, rows, ["event_id"], ["municipality_id", "event_id"]
        )
    }
    return [valid[i] for i in valid if i in inserted]


@dataclass
class Tally:
    """What a batch of new events adds: rollups per neighbourhood, day and metric, each
    household's last active day per set, registrations per neighbourhood, views and
    responses per message, and the live deltas per neighbourhood."""

    rollups: dict[tuple[int, date, str], int] = field(default_factory=lambda: defaultdict(int))
    last_days: dict[tuple[int, str, str], date] = field(default_factory=dict)
    registrations: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    views: dict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))
    deltas: dict[int, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )

    @classmethod
    def of(cls, events: list[EventIn], timezone: str) -> Tally:
        """The tally of `events`, each counted on its day in `timezone` (the city's)."""
        tally = cls()
        for event in events:
            tally.add(event, clock.local_day(event.at, timezone))
        return tally

    def add(self, e: EventIn, day: date) -> None:
        """Count one event, on `day`."""
        for metric in metrics_of(e):
            self.rollups[(e.neighbourhood_id, day, metric)] += 1
            # Not taking part (answers, votes): per neighbourhood and as it happens, that
            # would be a message's results outside their disclosure rule.
            if metric not in PARTICIPATION_METRICS:
                self.deltas[e.neighbourhood_id][metric] += 1
        sets = ("active", "contributor") if e.type in CONTRIBUTIONS else ("active",)
        for set_name in sets:
            member = (e.neighbourhood_id, set_name, e.household)
            if self.last_days.get(member, date.min) < day:
                self.last_days[member] = day
        if e.type == "registration":
            self.registrations[e.neighbourhood_id] += 1
        if e.type in ("message_view", "survey_response") and e.message_id:
            column = "views" if e.type == "message_view" else "survey_responses"
            self.views[(e.message_id, column)] += 1


async def _add_rollups(session: AsyncSession, municipality_id: int, tally: Tally) -> None:
    """The tally into the city's and the neighbourhoods' daily rollups and the households'
    last active days."""
    city: dict[tuple[date, str], int] = defaultdict(int)
    for (_hood, day, metric), n in tally.rollups.items():
        city[(day, metric)] += n
    await increment(
        session,
        MunicipalityRollup.__table__,
        ["municipality_id", "day", "metric"],
        [
            {"municipality_id": municipality_id, "day": d, "metric": m, "value": n}
            for (d, m), n in city.items()
        ],
    )
    await increment(
        session,
        DailyRollup.__table__,
        ["neighbourhood_id", "day", "metric"],
        [
            {"neighbourhood_id": h, "day": d, "metric": m, "value": n}
            for (h, d, m), n in tally.rollups.items()
        ],
    )
    await keep_latest(
        session,
        HouseholdActivity.__table__,
        ["neighbourhood_id", "set_name", "household"],
        "last_day",
        [
            {"neighbourhood_id": h, "set_name": s, "household": hh, "last_day": d}
            for (h, s, hh), d in tally.last_days.items()
        ],
    )


async def _add_counters(session: AsyncSession, municipality_id: int, tally: Tally) -> None:
    """The tally into the counters kept on rows: neighbourhoods' registered households,
    messages' views and survey responses (only the city's own messages)."""
    for hood, n in sorted(tally.registrations.items()):
        await session.execute(
            update(Neighbourhood)
            .where(Neighbourhood.id == hood)
            .values(registered_households=Neighbourhood.registered_households + n)
        )
    city_orgs = select(Organisation.id).where(Organisation.municipality_id == municipality_id)
    for (message_id, column), n in sorted(tally.views.items()):
        await session.execute(
            update(CityMessage)
            .where(CityMessage.id == message_id, CityMessage.organisation_id.in_(city_orgs))
            .values({column: getattr(CityMessage, column) + n})
        )
