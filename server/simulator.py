"""`buurt-server simulate`: resident activity posted through the API, shaped by FIGURES.md.

Rates are per registered household and month, from the published figures: Mechelen's
~1,682 posts a month (for ~21,600 registered households), ~54,000 interactions a quarter,
296,505 city-message views a quarter, 45.9% of help requests solved, 6,814 new connections
and ~2,106 offline encounters a quarter; The Hague's 72% weekly active and 70% contributors.
`--speed` runs simulated time faster than real time; `--backfill-days` first fills history
(`--scale` thins it out for a quick demo). It only ever talks HTTP to the server.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

import config

log = logging.getLogger("buurt.simulator")
MONTH = 30 * 86400
# Events per registered household per month.
RATES: dict[str, float] = {
    "post": 1682 / 21571,
    "reaction": 12000 / 21571,
    "comment": 6000 / 21571,
    "message_view": 296505 / 3 / 21571,
    "help_request": 180 / 21571,
    "connection": 6814 / 3 / 21571,
    "encounter": 2106 / 3 / 21571,
    "activity": 30 / 21571,
    "rsvp": 400 / 21571,
    "helper_signup": 40 / 21571,
    "volunteer_signup": 30 / 21571,
    # While a survey is open: Mons's survey had answers from 23% of registered households.
    "survey_response": 0.23,
    # Waterloo's call for initiatives: 30+ proposals and 1,000+ votes on 2,875 households.
    "proposal": 30 / 2875,
    "vote": 1000 / 2875,
    "registration": 0.02,  # 2% growth a month (The Hague: 312 new a month on 4,100)
}
HELP_SOLVED = 0.459
WEEKLY_ACTIVE = 0.72
CONTRIBUTORS = 0.70
INVITATION_SHARE = 0.6
TOPICS = tuple(config.topics())
MESSAGE_REFRESH_TICKS = 10
REPORT_RATE = 40 / 4100  # bottom-up submissions per registered household per month (The Hague)


@dataclass
class Hood:
    id: int
    registered: int


@dataclass
class Published:
    """A city message residents can see: views and survey answers name it."""

    id: int
    at: datetime
    targets: str | list[int]
    closes_at: datetime | None = None  # a survey's
    kind: str = "announcement"
    questions: list[dict[str, Any]] | None = None  # a survey's
    budget: dict[str, Any] | None = None  # a citizen budget's
    closed: bool = False  # closed early by staff

    def reaches(self, hood: Hood, at: datetime) -> bool:
        return self.at <= at and (self.targets == "all" or hood.id in self.targets)


# Most views come in the first days after publication.
VIEW_HALF_LIFE_DAYS = 3.0


def pick_message(
    rng: random.Random, messages: list[Published], hood: Hood, at: datetime, survey: bool
) -> Published | None:
    """The message a view (or a survey answer) is of: one that reaches the neighbourhood
    and was out by then, recent ones far more likely; None when there is none."""
    found = [
        m for m in messages
        if m.reaches(hood, at) and (not survey or (m.closes_at is not None and at < m.closes_at))
    ]  # fmt: skip
    if not found:
        return None
    weights = [0.5 ** ((at - m.at).total_seconds() / 86400 / VIEW_HALF_LIFE_DAYS) for m in found]
    return rng.choices(found, weights)[0]


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation for large)."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# Sent through the participation routes when live (they count the engagement event too).
PARTICIPATION = ("survey_response", "proposal", "vote")


def events_for(
    rng: random.Random,
    hood: Hood,
    start: datetime,
    seconds: float,
    scale: float,
    messages: list[Published] | None = None,
    skip: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """The events of one neighbourhood during a stretch of simulated time (not of the
    kinds in `skip`)."""
    out: list[dict[str, Any]] = []
    registered = max(hood.registered, 1)
    active_pool = max(1, int(registered * WEEKLY_ACTIVE))
    for kind, rate in RATES.items():
        if kind in skip:
            continue
        n = poisson(rng, rate * registered * seconds / MONTH * scale)
        for _ in range(n):
            at = start + timedelta(seconds=rng.uniform(0, seconds))
            household = (
                f"{hood.id}-{rng.randrange(active_pool if kind != 'registration' else 10**9)}"
            )
            event: dict[str, Any] = {
                "id": uuid.uuid4().hex, "type": kind, "household": household,
                "neighbourhood_id": hood.id, "at": at.isoformat(),
            }  # fmt: skip
            if kind == "post":
                event["topic"] = rng.choice(TOPICS)
            elif kind == "registration":
                event["channel"] = "invitation" if rng.random() < INVITATION_SHARE else "organic"
            elif kind == "rsvp":
                event["response"] = "attending" if rng.random() < 0.38 else "interested"
            elif kind in ("reaction", "comment") and rng.random() > CONTRIBUTORS / WEEKLY_ACTIVE:
                continue  # readers only read
            elif kind in ("message_view", "survey_response") and messages is not None:
                # A view is of a message that reached this neighbourhood; none, no view.
                seen = pick_message(rng, messages, hood, at, kind == "survey_response")
                if seen is None:
                    continue
                event["message_id"] = seen.id
            out.append(event)
            if kind == "help_request" and rng.random() < HELP_SOLVED:
                solved = dict(event, id=uuid.uuid4().hex, type="help_solved")
                out.append(solved)
    return out


async def send(http: httpx.AsyncClient, events: list[dict[str, Any]]) -> int:
    """Post events in batches; returns how many the server accepted."""
    accepted = 0
    for i in range(0, len(events), 2000):
        response = await http.post("/v1/events", json={"events": events[i : i + 2000]})
        if response.status_code == 200:
            accepted += int(response.json()["accepted"])
        else:
            log.warning("the server refused a batch (%s)", response.status_code)
    return accepted


async def published_messages(http: httpx.AsyncClient) -> list[Published] | None:
    """The city's published messages; None when the token may not read them (views and
    survey answers then name no message, as before)."""
    response = await http.get("/v1/messages", params={"state": "published", "limit": 200})
    if response.status_code != 200:
        log.warning("cannot read the messages (%s): views name no message", response.status_code)
        return None
    found = []
    for m in response.json()["items"]:
        survey = m.get("survey") or {}
        closes = survey.get("closes_at")
        found.append(
            Published(
                id=m["id"],
                at=datetime.fromisoformat(m["published_at"]),
                targets=m["targets"],
                closes_at=datetime.fromisoformat(closes) if closes else None,
                kind=m["kind"],
                questions=survey.get("questions"),
                budget=m.get("budget"),
                closed=m.get("closed_at") is not None,
            )
        )
    return found


async def hoods_of(http: httpx.AsyncClient) -> list[Hood]:
    page = (await http.get("/v1/neighbourhoods", params={"limit": 200})).json()
    return [Hood(n["id"], n["registered_households"]) for n in page["items"]]


async def backfill(
    http: httpx.AsyncClient,
    days: int,
    scale: float,
    seed: int = 1,
    *,
    full_days: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """History for the last `days` days, one day at a time; the last `full_days` of them at
    full scale whatever `scale` says (the weekly and monthly figures then start where the
    published ones are, instead of climbing for the first half hour). `progress(done,
    days)` after each day."""
    rng = random.Random(seed)  # noqa: S311 - simulated data
    hoods = await hoods_of(http)
    messages = await published_messages(http)
    now = datetime.now(UTC)
    total = 0
    for day in range(days, 0, -1):
        start = now - timedelta(days=day)
        batch: list[dict[str, Any]] = []
        day_scale = 1.0 if day <= full_days else scale
        for hood in hoods:
            batch += events_for(rng, hood, start, 86400, day_scale, messages)
        total += await send(http, batch)
        if progress is not None:
            progress(days - day + 1, days)
    return total


async def run_live(
    http: httpx.AsyncClient, speed: float, scale: float, tick: float, stop_after: float | None
) -> int:
    """Simulated time `speed` times faster than real time, sent every `tick` seconds."""
    rng = random.Random()  # noqa: S311
    hoods = await hoods_of(http)
    total, started, rounds = 0, time.monotonic(), 0
    messages: list[Published] | None = None
    # Answers and votes go through the participation routes while the token may (else, as
    # before, as bare events).
    participation_ready = True
    while stop_after is None or time.monotonic() - started < stop_after:
        if rounds % MESSAGE_REFRESH_TICKS == 0:
            # A message published meanwhile (from the console) gets its views too.
            messages = await published_messages(http)
        rounds += 1
        now = datetime.now(UTC)
        batch: list[dict[str, Any]] = []
        live = participation_ready
        for hood in hoods:
            batch += events_for(
                rng, hood, now - timedelta(seconds=tick), tick * speed, scale, messages,
                skip=PARTICIPATION if live else (),
            )  # fmt: skip
        # Simulated time runs ahead; the events keep real timestamps within the last tick.
        for event in batch:
            event["at"] = (now - timedelta(seconds=rng.uniform(0, tick))).isoformat()
        total += await send(http, batch)
        if live and messages:
            sent = await participate(http, rng, hoods, messages, tick * speed * scale, now)
            participation_ready = sent is not None
            total += sent or 0
        await asyncio.sleep(tick)
    return total


async def participate(
    http: httpx.AsyncClient,
    rng: random.Random,
    hoods: list[Hood],
    messages: list[Published],
    seconds: float,
    now: datetime,
) -> int | None:
    """Residents answering open surveys, proposing and voting in open budgets during
    `seconds` of simulated time, at the rates of RATES; how many were recorded, or None when
    the token may not (no `participation:write`)."""
    recorded = 0
    for message in messages:
        if message.closed or (message.closes_at and now >= message.closes_at):
            continue
        if message.kind == "survey" and message.questions:
            rate = RATES["survey_response"]
            for hood in hoods:
                if not message.reaches(hood, now):
                    continue
                for _ in range(poisson(rng, rate * hood.registered * seconds / MONTH)):
                    body = {
                        "id": uuid.uuid4().hex,
                        "household": f"{hood.id}-{rng.randrange(max(hood.registered, 1))}",
                        "neighbourhood_id": hood.id,
                        "answers": survey_answers(rng, message.questions),
                    }
                    answer = await http.post(
                        f"/v1/participation/surveys/{message.id}/responses", json=body
                    )
                    if answer.status_code == 403:
                        return None
                    recorded += answer.status_code == 201
        elif message.kind == "citizen_budget" and message.budget:
            made = await _budget_round(http, rng, hoods, message, seconds, now)
            if made is None:
                return None
            recorded += made
    return recorded


def survey_answers(rng: random.Random, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A household's answers to every question (an open one now and then)."""
    answers: list[dict[str, Any]] = []
    for index, question in enumerate(questions):
        kind = question.get("type", "single")
        choices = len(question.get("choices", []))
        if kind == "single":
            answers.append({"question": index, "choice": rng.randrange(choices)})
        elif kind == "multiple":
            most = question.get("max_choices") or choices
            picked = sorted(rng.sample(range(choices), rng.randint(1, most)))
            answers.append({"question": index, "choices": picked})
        elif kind == "scale":
            answers.append({"question": index, "value": max(1, min(5, round(rng.gauss(3.4, 1))))})
        elif rng.random() < 0.3:
            answers.append({"question": index, "text": rng.choice(OPEN_WORDS)})
    return answers


OPEN_WORDS = (
    "Meer groen en bankjes, graag.",
    "Trager verkeer in onze straat.",
    "Een plek om elkaar te ontmoeten.",
    "Betere verlichting op het fietspad.",
)


async def _budget_round(
    http: httpx.AsyncClient,
    rng: random.Random,
    hoods: list[Hood],
    message: Published,
    seconds: float,
    now: datetime,
) -> int | None:
    budget = message.budget or {}
    voting = budget.get("voting_from")
    voting_opened = voting is None or now >= datetime.fromisoformat(voting)
    made = 0
    if not voting_opened:
        for hood in hoods:
            n = poisson(rng, RATES["proposal"] * hood.registered * seconds / MONTH)
            for _ in range(n):
                cost = rng.choice((1500, 3000, 5000, 8000, 12000))
                answer = await http.post(
                    f"/v1/participation/budgets/{message.id}/proposals",
                    json={"id": uuid.uuid4().hex, "household": f"{hood.id}-p{rng.random()}",
                          "neighbourhood_id": hood.id, "title": "Een buurtproject",
                          "description": "Voorgesteld door bewoners.", "cost_eur": cost},
                )  # fmt: skip
                if answer.status_code == 403:
                    return None
                made += answer.status_code == 201
        return made
    listed = await http.get(f"/v1/messages/{message.id}/proposals", params={"state": "accepted"})
    if listed.status_code != 200 or not listed.json():
        return 0
    proposals = listed.json()
    weights = [1 + p["votes"] for p in proposals]  # popular ones draw more votes
    for hood in hoods:
        for _ in range(poisson(rng, RATES["vote"] * hood.registered * seconds / MONTH)):
            left, ballot = int(budget.get("budget_eur", 0)), []
            for p in rng.choices(proposals, weights, k=rng.randint(1, 4)):
                if p["id"] not in ballot and p["cost_eur"] <= left:
                    ballot.append(p["id"])
                    left -= p["cost_eur"]
            if not ballot:
                continue
            answer = await http.post(
                f"/v1/participation/budgets/{message.id}/votes",
                json={"id": uuid.uuid4().hex,
                      "household": f"{hood.id}-{rng.randrange(max(hood.registered, 1))}",
                      "neighbourhood_id": hood.id, "proposals": ballot},
            )  # fmt: skip
            if answer.status_code == 403:
                return None
            made += answer.status_code == 201
    return made


def main(argv: list[str] | None = None) -> int:
    """Entry point of `buurt-server simulate` (also used by `buurt demo`)."""
    parser = argparse.ArgumentParser(prog="buurt-server simulate", description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument(
        "--token",
        default=os.environ.get("BUURT_TOKEN"),
        help="an API token with the events:write scope (default: $BUURT_TOKEN)",
    )
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per second")
    parser.add_argument("--backfill-days", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0, help="thin out (or thicken) activity")
    parser.add_argument("--backfill-scale", type=float, default=None)
    parser.add_argument("--tick", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="simulate: %(message)s", stream=sys.stderr)
    if not args.token:
        parser.error("give --token or set BUURT_TOKEN (an API token with events:write)")

    async def go() -> None:
        headers = {"Authorization": f"Bearer {args.token}"}
        async with httpx.AsyncClient(base_url=args.url, headers=headers, timeout=60) as http:
            if args.backfill_days:
                n = await backfill(http, args.backfill_days, args.backfill_scale or args.scale)
                log.info("%s events of history sent", f"{n:,}")
            await run_live(http, args.speed, args.scale, args.tick, args.duration)

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        return 0
    return 0
