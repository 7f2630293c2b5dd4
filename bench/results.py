"""Participation results at size: a survey of 10 questions with 50,000 responses and a citizen
budget of 40 proposals with 20,000 votes, on SQLite, on a real server.

The first `--http` answers and half as many votes go through the resident routes (their rate is
printed); the rest are written in bulk through the same service functions the demo uses
(`record_answers`, `record_ballots`: the same rows and counters), so the bench takes minutes,
not the better part of an hour. Then p50/p95 of GET /v1/messages/{id}/results (whole city, one
neighbourhood, the budget) beside GET /v1/me on the same server (the floor of an authenticated
route), and the results from the counters against the same counts from the raw answers, both
in process. Target: results p95 < 20 ms over HTTP.

Beside it, a survey of 500 responses (`--small`) on the same server: its results and its open
answers (a page of 50) are asked in turns with the large survey's, and the ratio of their p95s
printed. Target: within 1.5x (what a page costs does not grow with the answers).

    .venv/bin/python bench/results.py [--responses 50000] [--small 500] [--votes 20000]
                                      [--http 2000] [--runs 60]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    Server,
    brussels_dataset,
    growth,
    growth_header,
    interleaved,
    prepare,
    sign_in,
    summary,
)

CONCURRENCY = 16


def questions() -> list[dict[str, Any]]:
    """Ten questions of every type."""
    made: list[dict[str, Any]] = []
    for i in range(10):
        kind = ("single", "single", "multiple", "scale", "single", "multiple", "scale",
                "single", "open", "single")[i]  # fmt: skip
        q: dict[str, Any] = {"type": kind, "question": {"fr": f"Question {i + 1} ?"}}
        if kind in ("single", "multiple"):
            q["choices"] = [{"fr": f"Choix {c + 1}"} for c in range(5)]
        if kind == "multiple":
            q["max_choices"] = 3
        made.append(q)
    return made


def answers(rng: random.Random, survey: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, q in enumerate(survey):
        if q["type"] == "single":
            out.append({"question": i, "choice": rng.randrange(5)})
        elif q["type"] == "multiple":
            out.append({"question": i, "choices": sorted(rng.sample(range(5), rng.randint(1, 3)))})
        elif q["type"] == "scale":
            out.append({"question": i, "value": rng.randint(1, 5)})
        elif rng.random() < 0.2:
            out.append({"question": i, "text": "Plus de bancs et d'arbres."})
    return out


async def send_all(
    url: str, headers: dict[str, str], requests: list[tuple[str, dict[str, Any]]]
) -> tuple[int, float]:
    """POST them with CONCURRENCY at once; (how many recorded, seconds)."""
    recorded = 0
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal recorded
        while not queue.empty():
            path, body = queue.get_nowait()
            answer = await client.post(path, json=body)
            if answer.status_code == 201:
                recorded += 1
            elif answer.status_code >= 500:
                raise RuntimeError(answer.text)

    started = time.perf_counter()
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as c:
        await asyncio.gather(*(worker(c) for _ in range(CONCURRENCY)))
    return recorded, time.perf_counter() - started


def bulk(database_url: str, message_id: int, bodies: list[dict[str, Any]]) -> None:
    """Answers or ballots written through record_answers / record_ballots (same counters)."""
    from sqlalchemy import select

    from server.db import make_engine, make_sessionmaker
    from server.models import CityMessage
    from server.services import participation
    from server.settings import Settings

    async def run() -> None:
        engine = make_engine(Settings(database_url=database_url))
        now = datetime.now(UTC)
        async with make_sessionmaker(engine)() as session:
            message = await session.scalar(select(CityMessage).where(CityMessage.id == message_id))
            assert message is not None
            municipality = 1
            for start in range(0, len(bodies), 5000):
                part = bodies[start : start + 5000]
                if message.kind == "survey":
                    await participation.record_answers(
                        session, message, municipality,
                        [(b["id"], b["household"], b["neighbourhood_id"], now,
                          {str(a["question"]): a.get("choices") or [a.get("choice", a.get("value"))]
                           for a in b["answers"] if "text" not in a},
                          [(a["question"], a["text"]) for a in b["answers"] if "text" in a])
                         for b in part],
                    )  # fmt: skip
                else:
                    await participation.record_ballots(
                        session, message, municipality,
                        [(b["id"], b["household"], b["neighbourhood_id"], now, b["proposals"])
                         for b in part],
                    )  # fmt: skip
                await session.commit()
        await engine.dispose()

    asyncio.run(run())


def raw_results(database_url: str, message_id: int) -> float:
    """A survey's counts from its raw answers (every row read and counted); seconds."""
    from sqlalchemy import select

    from server.db import make_engine, make_sessionmaker
    from server.models import SurveyAnswer
    from server.settings import Settings

    async def run() -> float:
        engine = make_engine(Settings(database_url=database_url))
        async with make_sessionmaker(engine)() as session:
            started = time.perf_counter()
            rows = await session.execute(
                select(SurveyAnswer.neighbourhood_id, SurveyAnswer.day, SurveyAnswer.answers)
                .where(SurveyAnswer.message_id == message_id)
            )  # fmt: skip
            counts: Counter[tuple[int, str]] = Counter()
            for hood, day, chosen in rows:
                counts[(hood, "responses")] += 1
                counts[(hood, f"day:{day}")] += 1
                for question, values in chosen.items():
                    for value in values:
                        counts[(hood, f"q{question}:{value}")] += 1
            elapsed = time.perf_counter() - started
        await engine.dispose()
        return elapsed

    return asyncio.run(run())


def counter_results(database_url: str, message_id: int, runs: int) -> list[float]:
    """The same results from the counters, through the service, in process."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from server.db import make_engine, make_sessionmaker
    from server.models import Organisation, StaffAccount
    from server.principal import Principal
    from server.services import participation
    from server.settings import Settings

    async def run() -> list[float]:
        engine = make_engine(Settings(database_url=database_url))
        times = []
        async with make_sessionmaker(engine)() as session:
            account = await session.scalar(
                select(StaffAccount).options(
                    selectinload(StaffAccount.organisation).selectinload(Organisation.municipality)
                )
            )
            assert account is not None
            principal = Principal(account, account.organisation, frozenset(account.roles), None)
            for _ in range(runs):
                t = time.perf_counter()
                await participation.results(session, principal, message_id, None)
                times.append(time.perf_counter() - t)
        await engine.dispose()
        return times

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=500, help="responses of the small survey")
    parser.add_argument("--votes", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--http", type=int, default=2000, help="answers sent over HTTP")
    args = parser.parse_args()
    rng = random.Random(16)
    folder = Path(tempfile.mkdtemp(prefix="buurt-bench-"))
    database_url = f"sqlite+aiosqlite:///{folder / 'results.db'}"
    dataset = brussels_dataset()
    prepare(database_url, dataset)
    survey = questions()
    with Server(database_url) as server, httpx.Client(base_url=server.url, timeout=120) as http:
        http.headers["Authorization"] = f"Bearer {sign_in(server.url, dataset)}"
        resident = {
            "Authorization": "Bearer "
            + http.post(
                "/v1/tokens", json={"name": "bench", "scopes": ["participation:write"]}
            ).json()["token"]
        }
        hoods = [
            n["id"] for n in http.get("/v1/neighbourhoods", params={"limit": 200}).json()["items"]
        ]
        later = (datetime.now(UTC) + timedelta(days=30)).isoformat()

        def publish(kind: str, **fields: Any) -> int:
            made = http.post(
                "/v1/messages",
                headers={"Idempotency-Key": uuid.uuid4().hex},
                json={"kind": kind, "title": {"fr": kind}, "body": {"fr": "Participez."},
                      "targets": "all", "action": "publish", **fields},
            )  # fmt: skip
            made.raise_for_status()
            return int(made.json()["id"])

        survey_id = publish("survey", survey={"questions": survey, "closes_at": later})
        budget_id = publish("citizen_budget", budget={"budget_eur": 200_000, "deadline": later})
        sent_answers = [
            (f"/v1/participation/surveys/{survey_id}/responses",
             {"id": f"r{i}", "household": f"h{i}", "neighbourhood_id": rng.choice(hoods),
              "answers": answers(rng, survey)})
            for i in range(args.responses)
        ]  # fmt: skip
        over_http = min(args.http, args.responses)
        recorded, answer_seconds = asyncio.run(
            send_all(server.url, resident, sent_answers[:over_http])
        )
        bulk(database_url, survey_id, [body for _path, body in sent_answers[over_http:]])
        small_id = publish("survey", survey={"questions": survey, "closes_at": later})
        bulk(database_url, small_id, [
            {"id": f"s{i}", "household": f"s{i}", "neighbourhood_id": rng.choice(hoods),
             "answers": answers(rng, survey)}
            for i in range(args.small)
        ])  # fmt: skip
        proposals = []
        for i in range(40):
            made = http.post(
                f"/v1/participation/budgets/{budget_id}/proposals", headers=resident,
                json={"id": f"p{i}", "household": f"p{i}", "neighbourhood_id": rng.choice(hoods),
                      "title": f"Projet {i}", "description": "Un projet.",
                      "cost_eur": rng.choice((5_000, 10_000, 20_000, 40_000))},
            ).json()  # fmt: skip
            http.post(
                f"/v1/proposals/{made['id']}/decision",
                headers={"If-Match": '"1"'},
                json={"decision": "accept"},
            ).raise_for_status()
            proposals.append((made["id"], made["cost_eur"]))
        ballots = []
        for i in range(args.votes):
            left, ballot = 200_000, []
            for pid, cost in rng.sample(proposals, rng.randint(1, 6)):
                if cost <= left:
                    ballot.append(pid)
                    left -= cost
            ballots.append(
                (f"/v1/participation/budgets/{budget_id}/votes",
                 {"id": f"v{i}", "household": f"v{i}", "neighbourhood_id": rng.choice(hoods),
                  "proposals": ballot})
            )  # fmt: skip
        votes_over_http = min(args.http // 2, args.votes)
        voted, vote_seconds = asyncio.run(send_all(server.url, resident, ballots[:votes_over_http]))
        bulk(database_url, budget_id, [body for _path, body in ballots[votes_over_http:]])

        def timed(path: str, **params: Any) -> list[float]:
            times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                assert http.get(path, params=params).status_code == 200
                times.append(time.perf_counter() - t)
            return times

        floor = timed("/v1/me")
        city = timed(f"/v1/messages/{survey_id}/results")
        one = timed(f"/v1/messages/{survey_id}/results", neighbourhood=hoods[0])
        budget = timed(f"/v1/messages/{budget_id}/results")

        def ask(path: str) -> Callable[[], object]:
            return lambda: http.get(path).raise_for_status()

        sizes = interleaved({
            "results small": ask(f"/v1/messages/{small_id}/results"),
            "results large": ask(f"/v1/messages/{survey_id}/results"),
            "answers small": ask(f"/v1/messages/{small_id}/open-answers?limit=50"),
            "answers large": ask(f"/v1/messages/{survey_id}/open-answers?limit=50"),
        }, args.runs)  # fmt: skip
    raw = [raw_results(database_url, survey_id) for _ in range(5)]
    counted = counter_results(database_url, survey_id, args.runs)
    ratio = statistics.median(raw) / statistics.median(counted)
    print(
        f"Results bench: SQLite, 115 neighbourhoods; survey of 10 questions, budget of "
        f"{len(proposals)} proposals"
    )
    print(f"answers over HTTP  {recorded:,} in {answer_seconds:.0f} s "
          f"({recorded / answer_seconds:.0f}/s, {CONCURRENCY} at once); "
          f"{args.responses - over_http:,} more in bulk")  # fmt: skip
    print(f"votes over HTTP    {voted:,} in {vote_seconds:.0f} s ({voted / vote_seconds:.0f}/s); "
          f"{args.votes - votes_over_http:,} more in bulk")  # fmt: skip
    print(f"GET /v1/me (the floor, HTTP)               {summary(floor)}")
    print(f"GET survey results (city, HTTP)            {summary(city)}")
    print(f"GET survey results (one neighbourhood)     {summary(one)}")
    print(f"GET budget results (city, HTTP)            {summary(budget)}")
    print(f"survey results from counters, in process   {summary(counted)}")
    print(f"same counts from the raw answers           {summary(raw)}")
    print(f"counters vs raw answers: {ratio:.0f}x faster; target: results p95 < 20 ms over HTTP")
    print(f"\nThe same at {args.small:,} and {args.responses:,} responses, taking turns")
    print(growth_header(f"{args.small:,} responses", f"{args.responses:,} responses"))
    print(growth("survey results (city)", sizes["results small"], sizes["results large"]))
    print(growth("open answers (a page of 50)", sizes["answers small"], sizes["answers large"]))


if __name__ == "__main__":
    main()
