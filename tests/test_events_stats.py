"""Engagement events and statistics: rollups equal a recount from the raw events, distinct
households are not double counted, bad events are refused one by one, scoping holds."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from server import clock
from server.models import (
    DailyRollup,
    EngagementEvent,
    HouseholdActivity,
    MunicipalityRollup,
    StreamEvent,
)
from tests.conftest import DEMO_PASSWORD, assert_problem, auth_headers
from tests.live import LiveServer

ADMIN = "admin@mechelen.demo"
TYPES = ["registration", "post", "comment", "reaction", "help_request", "help_solved", "rsvp",
         "connection", "encounter", "activity", "vote"]  # fmt: skip


# What each event adds 1 to, as DESIGN.md states it (written here, not read from the server).
ROLLUP_METRICS = {
    "registration": lambda e: ["registrations", f"registrations_{e['channel']}"],
    "post": lambda e: ["posts", f"topic:{e['topic']}"],
    "comment": lambda e: ["comments"],
    "reaction": lambda e: ["reactions"],
    "help_request": lambda e: ["help_requests"],
    "help_solved": lambda e: ["help_solved"],
    "rsvp": lambda e: [f"rsvp_{e['response']}"],
    "connection": lambda e: ["connections"],
    "encounter": lambda e: ["encounters"],
    "activity": lambda e: ["activities"],
    "vote": lambda e: ["votes"],
}


async def hood_ids(client: httpx.AsyncClient, headers: dict[str, str]) -> list[int]:
    page = (await client.get("/v1/neighbourhoods", headers=headers, params={"limit": 200})).json()
    return [n["id"] for n in page["items"]]


def random_events(rng: random.Random, hoods: list[int], n: int, prefix: str) -> list[dict]:
    now = datetime.now(UTC)
    events = []
    for i in range(n):
        kind = rng.choice(TYPES)
        event = {
            "id": f"{prefix}-{i}",
            "type": kind,
            "household": f"h{rng.randint(1, 40)}",
            "neighbourhood_id": rng.choice(hoods),
            "at": (
                now - timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 600))
            ).isoformat(),
        }
        if kind == "registration":
            event["channel"] = rng.choice(["invitation", "organic"])
        if kind == "post":
            event["topic"] = rng.choice(["lost_and_found", "safety", "events", "help"])
        if kind == "rsvp":
            event["response"] = rng.choice(["interested", "attending"])
        events.append(event)
    return events


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_rollups_equal_a_recount_of_the_raw_events(
    client: httpx.AsyncClient, app: FastAPI, seed: int
) -> None:
    rng = random.Random(seed)
    headers = await auth_headers(client, ADMIN)
    hoods = (await hood_ids(client, headers))[:5]
    events = random_events(rng, hoods, 300, f"s{seed}")
    # Sent in random batches, some events twice: retries must not count twice.
    sent = 0
    while sent < len(events):
        size = rng.randint(1, 80)
        batch = events[sent : sent + size] + rng.sample(events[: sent + 1], k=min(3, sent + 1))
        response = await client.post("/v1/events", headers=headers, json={"events": batch})
        assert response.status_code == 200, response.text
        sent += size
    expected_rollups: Counter[tuple[int, str, str]] = Counter()
    expected_last: dict[tuple[int, str, str], str] = {}
    for raw in events:
        # Mechelen's days: Brussels time, whatever offset the event was sent with.
        day = datetime.fromisoformat(raw["at"]).astimezone(BRUSSELS).date().isoformat()
        hood, household = raw["neighbourhood_id"], raw["household"]
        for metric in ROLLUP_METRICS[raw["type"]](raw):
            expected_rollups[(hood, day, metric)] += 1
        contributes = raw["type"] in ("post", "comment", "reaction")
        for set_name in ["active"] + (["contributor"] if contributes else []):
            key = (hood, set_name, household)
            expected_last[key] = max(expected_last.get(key, ""), day)
    expected_city: Counter[tuple[str, str]] = Counter()
    for (_hood, day, metric), n in expected_rollups.items():
        expected_city[(day, metric)] += n
    async with app.state.sessionmaker() as session:
        city = {
            (r.day.isoformat(), r.metric): r.value
            for r in (await session.scalars(select(MunicipalityRollup))).all()
        }
        stored = await session.scalar(select(func.count()).select_from(EngagementEvent))
        rollups = {
            (r.neighbourhood_id, r.day.isoformat(), r.metric): r.value
            for r in (await session.scalars(select(DailyRollup))).all()
        }
        last_days = {
            (a.neighbourhood_id, a.set_name, a.household): a.last_day.isoformat()
            for a in (await session.scalars(select(HouseholdActivity))).all()
        }
    assert stored == len(events)
    assert rollups == dict(expected_rollups)
    assert city == dict(expected_city)
    # The city-wide path (municipality rollups) and the per-neighbourhood path agree.
    every = await hood_ids(client, headers)
    whole = (
        await client.get("/v1/stats/overview", headers=headers, params={"period": "all"})
    ).json()
    summed = (
        await client.get(
            "/v1/stats/overview", headers=headers, params={"period": "all", "neighbourhood": every}
        )
    ).json()
    # Taking part (answers, proposals, votes) is never given for a chosen set of
    # neighbourhoods: subtracted from the city's, it would be a message's results per
    # neighbourhood outside their disclosure rule.
    taking_part = {"survey_responses", "proposals", "votes"}
    assert {k: summed["metrics"][k] for k in taking_part} == dict.fromkeys(taking_part)
    assert {k: v for k, v in whole["metrics"].items() if k not in taking_part} == {
        k: v for k, v in summed["metrics"].items() if k not in taking_part
    }
    assert whole["topics"] == summed["topics"]
    assert whole["metrics"]["posts"] == sum(1 for e in events if e["type"] == "post")
    assert last_days == expected_last


@pytest.mark.dialect
async def test_distinct_households_are_not_double_counted(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, ADMIN)
    hood = (await hood_ids(client, headers))[0]
    # Three moments of this week, none in the future (a Monday at 00:20 has few hours yet).
    now = datetime.now(UTC)
    events = [
        {"id": f"d{i}", "type": "reaction", "household": "same", "neighbourhood_id": hood,
         "at": (now - timedelta(seconds=3 - i)).isoformat()}
        for i in range(3)
    ]  # fmt: skip
    await client.post("/v1/events", headers=headers, json={"events": events})
    overview = (
        await client.get("/v1/stats/overview", headers=headers, params={"neighbourhood": hood})
    ).json()
    assert overview["metrics"]["reactions"] == 3
    assert overview["active_7d"] == 1
    assert overview["contributors_30d"] == 1


@pytest.mark.dialect
async def test_bad_events_are_rejected_one_by_one(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, ADMIN)
    hood = (await hood_ids(client, headers))[0]
    mons = (await hood_ids(client, await auth_headers(client, "admin@mons.demo")))[0]
    now = datetime.now(UTC).isoformat()
    batch = [
        {"id": "ok-1", "type": "post", "topic": "safety", "household": "h", "neighbourhood_id": hood, "at": now},
        {"id": "bad-type", "type": "gossip", "household": "h", "neighbourhood_id": hood, "at": now},
        {"id": "with-text", "type": "post", "text": "Mijn buurman...", "household": "h", "neighbourhood_id": hood, "at": now},
        {"id": "foreign", "type": "post", "household": "h", "neighbourhood_id": mons, "at": now},
        {"id": "future", "type": "post", "household": "h", "neighbourhood_id": hood,
         "at": (datetime.now(UTC) + timedelta(days=2)).isoformat()},
        {"id": "ok-2", "type": "registration", "channel": "invitation", "household": "new", "neighbourhood_id": hood, "at": now},
    ]  # fmt: skip
    result = (await client.post("/v1/events", headers=headers, json={"events": batch})).json()
    assert result["accepted"] == 2 and result["duplicates"] == 0
    reasons = {r["id"]: r["reason"] for r in result["rejected"]}
    assert set(reasons) == {"bad-type", "with-text", "foreign", "future"}
    assert "text" in reasons["with-text"] and "neighbourhood" in reasons["foreign"]
    again = (await client.post("/v1/events", headers=headers, json={"events": batch[:1]})).json()
    assert again == {"accepted": 0, "duplicates": 1, "rejected": []}
    # A registration moves the registered households (and so the reach).
    one = (await client.get(f"/v1/neighbourhoods/{hood}", headers=headers)).json()
    overview = (
        await client.get("/v1/stats/overview", headers=headers, params={"neighbourhood": hood})
    ).json()
    assert overview["registered_households"] == one["registered_households"]
    assert overview["metrics"]["registrations_invitation"] == 1


@pytest.mark.dialect
async def test_events_need_the_scope_and_stats_are_scoped(client: httpx.AsyncClient) -> None:
    officer = await auth_headers(client, "officer@mechelen.demo")
    body = {"events": [{"id": "x", "type": "post", "household": "h", "neighbourhood_id": 1,
                        "at": datetime.now(UTC).isoformat()}]}  # fmt: skip
    assert_problem(await client.post("/v1/events", headers=officer, json=body), 403, "missing-role")
    agency = await auth_headers(client, "ocmw@mechelen.demo")
    overview = (await client.get("/v1/stats/overview", headers=agency)).json()
    assert overview["neighbourhoods"] == 4
    rows = (await client.get("/v1/stats/neighbourhoods", headers=agency)).json()
    assert sorted(r["name"] for r in rows) == ["Arsenaal", "Battel", "Heihoek", "Nekkerspoel"]
    city_hoods = await hood_ids(client, officer)
    outside = next(h for h in city_hoods if h not in {r["id"] for r in rows})
    assert_problem(
        await client.get("/v1/stats/overview", headers=agency, params={"neighbourhood": outside}),
        404,
        "not-found",
    )
    series = (await client.get("/v1/stats/timeseries", headers=officer,
                               params={"metric": "posts", "granularity": "week"})).json()  # fmt: skip
    assert series["metric"] == "posts" and "series" in series
    bad_sort = await client.get(
        "/v1/stats/neighbourhoods", headers=officer, params={"sort": "nope"}
    )
    assert_problem(bad_sort, 422, "validation")


@pytest.mark.dialect
async def test_overview_names_the_newest_stream_event_it_includes(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await auth_headers(client, ADMIN)
    hoods = (await hood_ids(client, headers))[:2]
    sent = await client.post("/v1/events", headers=headers,
                             json={"events": random_events(random.Random(9), hoods, 20, "asof")})  # fmt: skip
    assert sent.json()["accepted"] == 20
    overview = (await client.get("/v1/stats/overview", headers=headers)).json()
    async with app.state.sessionmaker() as session:
        newest = await session.scalar(select(func.max(StreamEvent.id)))
    assert newest and overview["as_of_event"] == newest


def _values(series: dict) -> dict[str, dict[str, int]]:
    return {name: {p["bucket"]: p["value"] for p in points} for name, points in series.items()}


@pytest.mark.parametrize("granularity", ["day", "week", "month"])
async def test_timeseries_counts_each_event_in_its_bucket(
    client: httpx.AsyncClient, granularity: str
) -> None:
    """What the chart shows: every post in the bucket of its day, in total, per
    neighbourhood and for a chosen neighbourhood (measured as the change the events make)."""
    headers = await auth_headers(client, ADMIN)
    hoods = (await client.get("/v1/neighbourhoods", headers=headers, params={"limit": 200})).json()
    a, b = hoods["items"][0], hoods["items"][1]
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    plan = [(a, 1, 3), (a, 9, 2), (b, 9, 1), (b, 40, 4)]  # (hood, days ago, posts)

    async def series(**params: object) -> dict[str, dict[str, int]]:
        answer = await client.get(
            "/v1/stats/timeseries", headers=headers,
            params={"metric": "posts", "granularity": granularity, "period": "90d", **params},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["metric"] == "posts" and body["granularity"] == granularity
        return _values(body["series"])

    views = {
        "total": {},
        "per": {"per_neighbourhood": "true"},
        "only a": {"neighbourhood": a["id"]},
    }
    before = {name: await series(**params) for name, params in views.items()}
    events = [
        {"id": f"ts-{granularity}-{hood['id']}-{ago}-{i}", "type": "post", "topic": "help",
         "household": f"ts{i}", "neighbourhood_id": hood["id"],
         "at": (noon - timedelta(days=ago)).isoformat()}
        for hood, ago, n in plan for i in range(n)
    ]  # fmt: skip
    sent = await client.post("/v1/events", headers=headers, json={"events": events})
    assert sent.json()["accepted"] == len(events)
    expected: dict[str, Counter[str]] = {"total": Counter(), a["name"]: Counter(),
                                         b["name"]: Counter()}  # fmt: skip
    for hood, ago, n in plan:
        day = (noon - timedelta(days=ago)).date()
        # A week is named by its Monday, a month by its first day.
        first = {
            "day": day,
            "week": day - timedelta(days=day.weekday()),
            "month": day.replace(day=1),
        }
        key = first[granularity].isoformat()
        expected["total"][key] += n
        expected[hood["name"]][key] += n
    for name, params in views.items():
        after = await series(**params)
        change: dict[str, Counter[str]] = {}
        for line, points in after.items():
            old = before[name].get(line, {})
            diff = Counter({k: v - old.get(k, 0) for k, v in points.items() if v != old.get(k, 0)})
            if diff:
                change[line] = diff
        if name == "total":
            assert change == {"total": expected["total"]}
        elif name == "per":
            assert change == {a["name"]: expected[a["name"]], b["name"]: expected[b["name"]]}
        else:
            assert change == {"total": expected[a["name"]]}


def posts(hood: int, prefix: str, n: int) -> dict:
    now = datetime.now(UTC).isoformat()
    return {"events": [{"id": f"{prefix}{i}", "type": "post", "household": f"p{i}",
                        "neighbourhood_id": hood, "at": now} for i in range(n)]}  # fmt: skip


@pytest.mark.dialect
async def test_kept_figures_never_hide_a_write(client: httpx.AsyncClient, app: FastAPI) -> None:
    """The overview is answered again from memory until something is written; the first
    read after a write sees it, on SQLite and PostgreSQL."""
    headers = await auth_headers(client, ADMIN)
    hood = (await hood_ids(client, headers))[0]
    first = (await client.get("/v1/stats/overview", headers=headers)).json()
    cache = app.state.figures
    hits = cache.hits
    again = (await client.get("/v1/stats/overview", headers=headers)).json()
    assert again == first and cache.hits == hits + 1  # kept, not read again
    for round_ in range(3):
        sent = await client.post("/v1/events", headers=headers, json=posts(hood, f"k{round_}-", 2))
        assert sent.json()["accepted"] == 2
        after = (await client.get("/v1/stats/overview", headers=headers)).json()
        assert after["metrics"]["posts"] == first["metrics"]["posts"] + 2 * (round_ + 1)
        assert after["as_of_event"] > first["as_of_event"]
    # Another organisation's figures are its own, never the kept ones of this one.
    other = await auth_headers(client, "admin@mons.demo")
    theirs = (await client.get("/v1/stats/overview", headers=other)).json()
    assert theirs["registered_households"] != first["registered_households"]


@pytest.mark.slow
def test_another_process_on_the_same_file_shows_within_the_bound(own_server: LiveServer) -> None:
    """Two servers on one SQLite file (nothing tells B of A's writes): B's figures show
    A's write once the bound (figures_cache_seconds, 1 s) has passed."""
    other = LiveServer(own_server.database)
    other.start()
    try:
        with httpx.Client(timeout=10) as http:
            token = http.post(
                f"{own_server.url}/v1/auth/token",
                json={"email": ADMIN, "password": DEMO_PASSWORD},
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            hood = http.get(f"{own_server.url}/v1/neighbourhoods", headers=headers).json()
            before = http.get(f"{other.url}/v1/stats/overview", headers=headers).json()
            sent = http.post(
                f"{own_server.url}/v1/events",
                headers=headers,
                json=posts(hood["items"][0]["id"], "far-", 4),
            )
            assert sent.json()["accepted"] == 4
            time.sleep(1.2)
            after = http.get(f"{other.url}/v1/stats/overview", headers=headers).json()
    finally:
        other.stop()
    assert after["metrics"]["posts"] == before["metrics"]["posts"] + 4


# -- the municipality's days, and windows that mean the same every day ----------------------

BRUSSELS = ZoneInfo("Europe/Brussels")


async def _figures(client: httpx.AsyncClient, headers: dict[str, str], hood: int) -> dict:
    response = await client.get(
        "/v1/stats/overview", headers=headers, params={"neighbourhood": hood, "period": "all"}
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    "today",
    [
        datetime(2026, 6, 1, 9, 0, tzinfo=BRUSSELS),  # a Monday and the 1st of a month
        datetime(2026, 3, 29, 23, 50, tzinfo=BRUSSELS),  # the day summer time starts
        datetime(2026, 10, 25, 0, 10, tzinfo=BRUSSELS),  # the day it ends, just after midnight
        datetime(2026, 12, 6, 12, 0, tzinfo=BRUSSELS),  # a Sunday, six days into a month
    ],
    ids=["monday-1st", "summer-time-starts", "summer-time-ends", "sunday-6th"],
)
async def test_active_and_contributors_are_rolling_windows(
    client: httpx.AsyncClient, today: datetime
) -> None:
    """The same activity gives the same figures on any day: a Monday, the 1st, the days the
    clocks change (the clock is set, not slept on)."""
    with clock.fixed(today):
        headers = await auth_headers(client, ADMIN)
        hood = (await hood_ids(client, headers))[3]
        before = await _figures(client, headers, hood)

        def at(days_back: int) -> str:
            # Noon of a day back, in the city's time: unambiguous on the changing days.
            day = (today.astimezone(BRUSSELS) - timedelta(days=days_back)).date()
            return datetime(day.year, day.month, day.day, 12, tzinfo=BRUSSELS).isoformat()

        recent = 0 if today.astimezone(BRUSSELS).hour >= 12 else 1
        events = [
            # a: contributed 2 days ago and today (counted once); b: active 6 days ago (the
            # window's first day); c: active 7 days ago (just outside), contributed 29 days
            # ago (inside 30); d: contributed 30 days ago (just outside).
            ("a", "post", 2), ("a", "reaction", recent), ("b", "message_view", 6),
            ("c", "encounter", 7), ("c", "comment", 29), ("d", "comment", 30),
        ]  # fmt: skip
        body = [
            {"id": f"w-{today:%Y%m%d}-{i}", "type": kind, "household": f"w{hh}",
             "neighbourhood_id": hood, "at": at(days)}
            for i, (hh, kind, days) in enumerate(events)
        ]  # fmt: skip
        result = (await client.post("/v1/events", headers=headers, json={"events": body})).json()
        assert result["accepted"] == len(events), result
        after = await _figures(client, headers, hood)
    assert after["active_7d"] - before["active_7d"] == 2  # a, b
    assert after["contributors_30d"] - before["contributors_30d"] == 2  # a, c


@pytest.mark.parametrize(
    ("sent", "city_day"),
    [
        # Winter (UTC+1): 23:30 and 00:30 in Brussels, written with three offsets.
        ("2026-01-14T22:30:00Z", "2026-01-14"),
        ("2026-01-14T23:30:00+01:00", "2026-01-14"),
        ("2026-01-14T23:30:00Z", "2026-01-15"),
        ("2026-01-15T02:30:00+02:00", "2026-01-15"),
        # Summer (UTC+2).
        ("2026-07-01T21:30:00Z", "2026-07-01"),
        ("2026-07-01T22:30:00+01:00", "2026-07-01"),
        ("2026-07-01T22:30:00Z", "2026-07-02"),
        ("2026-07-02T00:30:00+02:00", "2026-07-02"),
        # A week's end (Sunday 1 March 2026, 23:30 in Brussels) and a month's end (30 April).
        ("2026-03-01T22:30:00Z", "2026-03-01"),
        ("2026-04-30T22:30:00Z", "2026-05-01"),
    ],
)
@pytest.mark.slow
async def test_an_event_counts_on_the_city_s_day(
    client: httpx.AsyncClient, sent: str, city_day: str
) -> None:
    with clock.fixed(datetime(2026, 8, 1, 12, tzinfo=UTC)):
        headers = await auth_headers(client, ADMIN)
        hood = (await hood_ids(client, headers))[2]

        async def series(granularity: str) -> dict[str, int]:
            response = await client.get(
                "/v1/stats/timeseries",
                headers=headers,
                params={"metric": "encounters", "granularity": granularity, "period": "all",
                        "neighbourhood": hood},
            )  # fmt: skip
            assert response.status_code == 200, response.text
            points = response.json()["series"].get("total", [])
            return {p["bucket"]: p["value"] for p in points}

        before = {g: await series(g) for g in ("day", "week", "month")}
        event = {"id": f"b-{sent}", "type": "encounter", "household": "x",
                 "neighbourhood_id": hood, "at": sent}  # fmt: skip
        await client.post("/v1/events", headers=headers, json={"events": [event]})
        after = {g: await series(g) for g in ("day", "week", "month")}
    day = date.fromisoformat(city_day)
    expected = {
        "day": day.isoformat(),
        "week": (day - timedelta(days=day.weekday())).isoformat(),
        "month": day.replace(day=1).isoformat(),
    }
    for granularity, bucket in expected.items():
        grown = {
            b: v - before[granularity].get(b, 0)
            for b, v in after[granularity].items()
            if v != before[granularity].get(b, 0)
        }
        assert grown == {bucket: 1}, (granularity, grown)
