"""Mixed load with 200 open live streams, against two deployments side by side:
one server on SQLite, and two servers on one PostgreSQL (durable: fsync on).

Every deployment gets the same data (a Brussels-sized municipality, 5,000 submissions, a
month of engagement events) and the same run: a separate process holds the streams (spread
over the instances, as a proxy would), while `--workers` clients loop for `--duration`
seconds over stats reads, inbox pages, submission details, triage updates (each client owns
its submissions, so no conflict is expected), event ingest and a broadcast now and then,
round-robin over the instances. Printed: requests/s, p50/p95/p99 per route, errors (target 0),
and the delivery of every triage update and broadcast to every stream: p50/p99 from the
write request to its arrival, and how many deliveries went missing (target 0).

    .venv/bin/python bench/load.py [--duration 60] [--streams 200] [--workers 8]
                                   [--deployment both|sqlite|postgresql]

The machine runs the servers, PostgreSQL and both client processes at once: on 2 cores the
figures are a floor, not a capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import aconnect_sse

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import (  # noqa: E402
    Server,
    brussels_dataset,
    percentile_ms,
    prepare,
    sign_in,
    with_categories,
)
from inbox import fill  # noqa: E402

SUBMISSIONS = 5_000
TRACKED = ("submission.updated", "message.published")


def key_of(event: str, data: dict[str, Any]) -> str:
    """What identifies one change across the writer and every stream."""
    if event == "message.published":
        return f"m:{data['id']}"
    return f"s:{data['id']}:{data['version']}"


# -- the streams, in a process of their own ---------------------------------------------------


def streams_process(
    urls: list[str], token: str, count: int, ready: Any, stop: Any, out: str
) -> None:
    """Hold `count` streams until `stop`; write when each tracked change arrived on each."""
    asyncio.run(_streams(urls, token, count, ready, stop, out))


async def _streams(
    urls: list[str], token: str, count: int, ready: Any, stop: Any, out: str
) -> None:
    received: dict[str, list[float]] = defaultdict(list)
    connected, failures = 0, 0
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
    async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=None), limits=limits) as http:

        async def one(url: str) -> None:
            nonlocal connected, failures
            last_id: str | None = None
            first = True
            while True:
                try:
                    extra = {"Last-Event-ID": last_id} if last_id else {}
                    async with aconnect_sse(
                        http, "GET", f"{url}/v1/stream", headers={**headers, **extra}
                    ) as source:
                        if first:
                            connected += 1
                            first = False
                            if connected == count:
                                ready.set()
                        async for sse in source.aiter_sse():
                            if sse.id:
                                last_id = sse.id
                            if sse.event in TRACKED:
                                received[key_of(sse.event, json.loads(sse.data))].append(
                                    time.time()
                                )
                except (httpx.HTTPError, ValueError):
                    failures += 1  # counted, then resumed from the last id like the console
                    await asyncio.sleep(0.5)

        tasks = [asyncio.create_task(one(urls[i % len(urls)])) for i in range(count)]
        await asyncio.to_thread(stop.wait)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    result = {"received": received, "connected": connected, "failures": failures}
    await asyncio.to_thread(Path(out).write_text, json.dumps(result))


# -- the mixed load ----------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    sent: dict[str, float] = field(default_factory=dict)  # change key -> request start


ROUTES = (  # name, weight
    ("GET /v1/stats/overview", 22),
    ("GET /v1/stats/timeseries", 8),
    ("GET /v1/stats/neighbourhoods", 5),
    ("GET /v1/submissions (page)", 22),
    ("GET /v1/submissions/{id}", 10),
    ("PATCH /v1/submissions/{id}", 20),
    ("POST /v1/events", 11),
    ("POST /v1/messages (publish)", 2),
)


async def mixed_load(urls: list[str], token: str, hoods: list[int], ids: list[int],
                     workers: int, duration: float) -> Tally:  # fmt: skip
    tally = Tally()
    headers = {"Authorization": f"Bearer {token}"}
    names = [name for name, _ in ROUTES]
    weights = [w for _, w in ROUTES]
    turn = 0
    limits = httpx.Limits(max_connections=workers * 2, max_keepalive_connections=workers * 2)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:

        async def worker(w: int) -> None:
            nonlocal turn
            rng = random.Random(w)
            mine = ids[w::workers]
            versions = dict.fromkeys(mine, 1)
            priorities = dict.fromkeys(mine, "normal")
            cursor: str | None = None
            end = time.perf_counter() + duration
            while time.perf_counter() < end:
                name = rng.choices(names, weights)[0]
                url = urls[turn % len(urls)]
                turn += 1
                kwargs: dict[str, Any] = {"headers": headers}
                change: str | None = None
                if name == "GET /v1/stats/overview":
                    method, path = "GET", "/v1/stats/overview"
                elif name == "GET /v1/stats/timeseries":
                    method, path = "GET", "/v1/stats/timeseries"
                    metric = rng.choice(["posts", "reactions", "registrations"])
                    kwargs["params"] = {"metric": metric, "granularity": "day", "period": "90d"}
                elif name == "GET /v1/stats/neighbourhoods":
                    method, path = "GET", "/v1/stats/neighbourhoods"
                elif name == "GET /v1/submissions (page)":
                    method, path = "GET", "/v1/submissions"
                    kwargs["params"] = {
                        "status": "new",
                        "limit": 50,
                        **({"cursor": cursor} if cursor else {}),
                    }
                elif name == "GET /v1/submissions/{id}":
                    method, path = "GET", f"/v1/submissions/{rng.choice(ids)}"
                elif name == "PATCH /v1/submissions/{id}":
                    sid = rng.choice(mine)
                    method, path = "PATCH", f"/v1/submissions/{sid}"
                    kwargs["headers"] = {**headers, "If-Match": f'"{versions[sid]}"'}
                    # Another priority than now: an unchanged one is no change and no event.
                    other = [p for p in ("low", "normal", "high", "urgent") if p != priorities[sid]]
                    kwargs["json"] = {"priority": rng.choice(other)}
                elif name == "POST /v1/events":
                    method, path = "POST", "/v1/events"
                    chosen = rng.sample(hoods, 5)
                    now = datetime.now(UTC)
                    kwargs["json"] = {"events": [
                        {"id": uuid.uuid4().hex, "household": f"h{rng.randint(1, 30_000)}",
                         "type": rng.choice(["post", "reaction", "comment"]),
                         "neighbourhood_id": rng.choice(chosen),
                         "at": (now - timedelta(seconds=rng.randint(0, 3600))).isoformat()}
                        for _ in range(100)
                    ]}  # fmt: skip
                else:
                    method, path = "POST", "/v1/messages"
                    kwargs["headers"] = {**headers, "Idempotency-Key": uuid.uuid4().hex}
                    kwargs["json"] = {
                        "kind": "announcement", "targets": "all", "action": "publish",
                        "title": {"fr": "Travaux", "nl": "Werken"},
                        "body": {"fr": "Rue fermée.", "nl": "Straat dicht."},
                    }  # fmt: skip
                started_wall, started = time.time(), time.perf_counter()
                try:
                    response = await http.request(method, f"{url}{path}", **kwargs)
                except httpx.HTTPError as exc:
                    tally.errors[name].append(f"{type(exc).__name__}: {exc}")
                    continue
                tally.latencies[name].append(time.perf_counter() - started)
                if response.status_code >= 400:
                    tally.errors[name].append(f"{response.status_code} {response.text[:160]}")
                    continue
                if name == "GET /v1/submissions (page)":
                    cursor = response.json().get("next_cursor")
                elif name == "PATCH /v1/submissions/{id}":
                    body = response.json()
                    versions[body["id"]] = body["version"]
                    priorities[body["id"]] = body["priority"]
                    change = key_of("submission.updated", body)
                elif name == "POST /v1/messages (publish)":
                    change = key_of("message.published", response.json())
                if change:
                    tally.sent[change] = started_wall

        await asyncio.gather(*(worker(w) for w in range(workers)))
    return tally


# -- one deployment -----------------------------------------------------------------------------


def backfill(url: str, token: str, hoods: list[int], days: int, events: int) -> None:
    """A month of engagement so the statistics have something to read."""
    rng = random.Random(3)
    now = datetime.now(UTC)
    with httpx.Client(
        base_url=url, timeout=120, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        for start in range(0, events, 2000):
            batch = [
                {"id": f"fill-{i}", "type": rng.choice(["post", "reaction", "connection"]),
                 "household": f"h{rng.randint(1, 30_000)}", "neighbourhood_id": rng.choice(hoods),
                 "at": (now - timedelta(minutes=rng.randint(0, days * 1440))).isoformat()}
                for i in range(start, min(events, start + 2000))
            ]  # fmt: skip
            response = http.post("/v1/events", json={"events": batch})
            response.raise_for_status()


def run_deployment(label: str, database_url: str, instances: int, args: argparse.Namespace) -> dict:
    dataset = with_categories(brussels_dataset())
    prepare(database_url, dataset)
    fill(database_url, SUBMISSIONS)
    with ExitStack() as stack:
        servers = [stack.enter_context(Server(database_url)) for _ in range(instances)]
        urls = [s.url for s in servers]
        token = sign_in(urls[0], dataset)
        auth = {"Authorization": f"Bearer {token}"}
        hoods = [h["id"] for h in httpx.get(f"{urls[0]}/v1/neighbourhoods", headers=auth,
                                            params={"limit": 200}).json()["items"]]  # fmt: skip
        print(f"[{label}] backfilling {args.events:,} events …", file=sys.stderr)
        backfill(urls[0], token, hoods, 30, args.events)
        ids = list(range(1, SUBMISSIONS + 1))
        context = mp.get_context("spawn")
        ready, stop = context.Event(), context.Event()
        out = str(Path(tempfile.mkdtemp(prefix="buurt-load-")) / "streams.json")
        listener = context.Process(
            target=streams_process, args=(urls, token, args.streams, ready, stop, out)
        )
        listener.start()
        if not ready.wait(60):
            raise RuntimeError("the streams did not all connect")
        print(
            f"[{label}] {args.streams} streams open; {args.duration:.0f} s of load …",
            file=sys.stderr,
        )
        started = time.perf_counter()
        tally = asyncio.run(mixed_load(urls, token, hoods, ids, args.workers, args.duration))
        elapsed = time.perf_counter() - started
        time.sleep(3)  # the last changes' deliveries
        stop.set()
        listener.join(30)
        logs = [str(server.log) for server in servers]
    streams = json.loads(Path(out).read_text())
    return {"label": label, "elapsed": elapsed, "tally": tally, "streams": streams,
            "expected_streams": args.streams, "logs": logs}  # fmt: skip


# -- the report -------------------------------------------------------------------------------


def cells(latencies: list[float], elapsed: float, errors: int) -> str:
    """One deployment's columns of a row: req/s, p50, p95, p99 (ms), errors."""
    quantiles = "".join(f"{percentile_ms(latencies, q):>6.1f}" for q in (0.5, 0.95, 0.99))
    return f"{len(latencies) / elapsed:>17.1f}{quantiles}{errors:>9}"


def report(results: list[dict]) -> None:
    labels = [r["label"] for r in results]
    print()
    print(f"{'':34}" + "".join(f"{label:>44}" for label in labels))
    print(f"{'route':34}" + "".join(f"{'req/s   p50   p95   p99 ms  errors':>44}" for _ in results))
    for name, _ in ROUTES:
        row = f"{name:34}"
        for r in results:
            lat = r["tally"].latencies.get(name, [])
            errors = len(r["tally"].errors.get(name, []))
            row += cells(lat, r["elapsed"], errors)
        print(row)
    row_total, row_err, row_stream, row_missing, row_conn = (
        f"{'all routes':34}", f"{'errors':34}", f"{'stream delivery p50 / p99 ms':34}",
        f"{'deliveries missing / expected':34}", f"{'streams connected / dropped':34}",
    )  # fmt: skip
    for r in results:
        tally: Tally = r["tally"]
        every = [v for values in tally.latencies.values() for v in values]
        errors = sum(len(v) for v in tally.errors.values())
        row_total += cells(every, r["elapsed"], errors)
        received = r["streams"]["received"]
        delays = [t - sent for key, sent in tally.sent.items() for t in received.get(key, [])]
        expected = len(tally.sent) * r["expected_streams"]
        got = sum(min(len(received.get(key, [])), r["expected_streams"]) for key in tally.sent)
        row_err += f"{errors:>44}"
        median = statistics.median(delays) * 1000 if delays else 0.0
        row_stream += f"{median:>35.1f} / {percentile_ms(delays, 0.99):>6.1f}"
        row_missing += f"{expected - got:>33,} / {expected:>8,}"
        row_conn += f"{r['streams']['connected']:>35} / {r['streams']['failures']:>6}"
    for line in (row_total, row_err, row_stream, row_missing, row_conn):
        print(line)
    for r in results:
        for name, errors in r["tally"].errors.items():
            print(f"[{r['label']}] {name}: {len(errors)} errors, first: {errors[0]}")
        if any(r["tally"].errors.values()):
            print(f"[{r['label']}] server logs: {', '.join(r['logs'])}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--events", type=int, default=60_000, help="backfilled before the run")
    parser.add_argument("--deployment", choices=["both", "sqlite", "postgresql"], default="both")
    args = parser.parse_args()
    results = []
    if args.deployment in ("both", "sqlite"):
        folder = Path(tempfile.mkdtemp(prefix="buurt-load-"))
        results.append(
            run_deployment("1 server, SQLite", f"sqlite+aiosqlite:///{folder / 'load.db'}", 1, args)
        )
    if args.deployment in ("both", "postgresql"):
        from tests.pgserver import PostgresServer

        postgres = PostgresServer(durable=True)
        postgres.start()
        try:
            postgres.psql("CREATE DATABASE load")
            results.append(run_deployment("2 servers, PostgreSQL", postgres.url("load"), 2, args))
        finally:
            postgres.stop()
    print(f"\nLoad bench: {args.workers} clients in a closed loop for {args.duration:.0f} s, "
          f"{args.streams} open streams, {SUBMISSIONS:,} submissions, {args.events:,} events "
          f"backfilled; Brussels-sized (115 neighbourhoods)")  # fmt: skip
    report(results)


if __name__ == "__main__":
    main()
