"""Mixed load with 200 open live streams, against two deployments side by side:
one server on SQLite, and `serve --workers 2` on one PostgreSQL (durable: fsync on).

Every deployment gets the same data (a Brussels-sized municipality, 5,000 submissions, a
month of engagement events) and the same run: a separate process holds the streams (spread
over the instances, as a proxy would), while `--workers` clients loop for `--duration`
seconds over stats reads, inbox pages, submission details, triage updates (each client owns
its submissions, so no conflict is expected), event ingest and a broadcast now and then,
round-robin over the instances. Printed: requests/s, p50/p95/p99 per route, errors (target 0),
and the delivery of every triage update and broadcast to every stream: p50/p99 from the
write request to its arrival, and how many deliveries went missing (target 0); then the
server's RSS per worker (the most seen while loaded), the CPU each process spent per request
(server workers, PostgreSQL, the two clients), the load average, and the goals of issue 28
on PostgreSQL (>= 400 req/s, p99 < 100 ms, 0 errors, 0 lost stream events), met or missed.

    .venv/bin/python bench/load.py [--duration 60] [--streams 200] [--workers 8]
                                   [--server-workers 2] [--deployment both|sqlite|postgresql]

The machine runs the servers, PostgreSQL and both client processes at once: on 2 cores the
figures are a floor, not a capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from httpx_sse import aconnect_sse

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import (  # noqa: E402
    BIN,
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
# Issue 28's goals for PostgreSQL with `serve --workers 2`.
GOAL_RPS, GOAL_P99_MS = 400.0, 100.0
IDLE_SECONDS = 5.0


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
    why: Counter[str] = Counter()  # what ended a stream
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
                except (httpx.HTTPError, ValueError) as error:
                    failures += 1  # counted, then resumed from the last id like the console
                    why[f"{type(error).__name__}: {error}"[:120]] += 1
                    await asyncio.sleep(0.5)

        tasks = [asyncio.create_task(one(urls[i % len(urls)])) for i in range(count)]
        await asyncio.to_thread(stop.wait)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    result = {"received": received, "connected": connected, "failures": failures, "why": why}
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
                     workers: int, duration: float,
                     routes: tuple[tuple[str, int], ...] = ROUTES) -> Tally:  # fmt: skip
    tally = Tally()
    headers = {"Authorization": f"Bearer {token}"}
    names = [name for name, _ in routes]
    weights = [w for _, w in routes]
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


# -- what the processes spend -------------------------------------------------------------------


class Usage:
    """CPU seconds per group of processes over the load, and each server worker's RSS
    (sampled every 0.5 s; the most seen). A group is its processes, with their descendants
    for those in `trees` (PostgreSQL's backends, which come and go)."""

    def __init__(
        self, groups: dict[str, list[int]], workers: list[int], trees: tuple[str, ...] = ()
    ) -> None:
        self.groups = {name: [psutil.Process(pid) for pid in pids] for name, pids in groups.items()}
        self.trees = trees
        self.workers = [psutil.Process(pid) for pid in workers]
        self.rss = dict.fromkeys(workers, 0)
        self.cpu: dict[str, float] = {}
        # Per process: CPU seconds when first seen (0 for one started during the load) and
        # when last seen, so that a backend that ends keeps what it spent until then.
        self._first: dict[int, float] = {}
        self._last: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _read_cpu(self, *, starting: bool = False) -> None:
        for name, processes in self.groups.items():
            for process in processes:
                tree = process.children(recursive=True) if name in self.trees else []
                for p in (process, *tree):
                    with suppress(psutil.NoSuchProcess):
                        times = p.cpu_times()
                        spent = times.user + times.system
                        self._first.setdefault(p.pid, spent if starting else 0.0)
                        self._last[p.pid] = (name, spent)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self._read_cpu()
            for worker in self.workers:
                with suppress(psutil.NoSuchProcess):
                    self.rss[worker.pid] = max(self.rss[worker.pid], worker.memory_info().rss)

    def __enter__(self) -> Usage:
        self._read_cpu(starting=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._read_cpu()
        self.cpu = dict.fromkeys(self.groups, 0.0)
        for pid, (name, spent) in self._last.items():
            self.cpu[name] += spent - self._first[pid]


@contextmanager
def spying(workers: list[int], args: argparse.Namespace) -> Iterator[None]:
    """With `--py-spy FOLDER`: py-spy samples each server worker through the load (collapsed
    stacks, `worker-PID.txt`; flame graphs with e.g. `inferno-flamegraph` or speedscope)."""
    if not args.py_spy:
        yield
        return
    folder = Path(args.py_spy)
    folder.mkdir(parents=True, exist_ok=True)
    spies = []
    for pid in workers:
        command = [str(BIN / "py-spy"), "record", "--nonblocking", "--rate", "100",
                   "--format", "raw", "--duration", f"{args.duration:.0f}", "--pid", str(pid),
                   "--output", str(folder / f"worker-{pid}.txt")]  # fmt: skip
        spies.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    try:
        yield
    finally:
        for spy in spies:
            spy.wait(30)
        print(f"py-spy: {', '.join(str(p) for p in sorted(folder.glob('worker-*.txt')))}",
              file=sys.stderr)  # fmt: skip


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


def run_deployment(label: str, database_url: str, serve_args: tuple[str, ...],
                   args: argparse.Namespace, database_pid: int | None = None) -> dict:  # fmt: skip
    dataset = with_categories(brussels_dataset())
    prepare(database_url, dataset)
    fill(database_url, SUBMISSIONS)
    with ExitStack() as stack:
        servers = [stack.enter_context(Server(database_url, *serve_args))]
        urls = [s.url for s in servers]
        token = sign_in(urls[0], dataset)
        auth = {"Authorization": f"Bearer {token}"}
        hoods = [h["id"] for h in httpx.get(f"{urls[0]}/v1/neighbourhoods", headers=auth,
                                            params={"limit": 200}).json()["items"]]  # fmt: skip
        print(f"[{label}] backfilling {args.events:,} events …", file=sys.stderr)
        backfill(urls[0], token, hoods, 30, args.events)
        ids = list(range(1, SUBMISSIONS + 1))
        # The mix changes the first ones; --route-costs the rest (versions it has not seen).
        mixed_ids, spare_ids = ids[: SUBMISSIONS * 4 // 5], ids[SUBMISSIONS * 4 // 5 :]
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
        workers = [pid for server in servers for pid in server.worker_pids()]
        assert listener.pid is not None
        groups: dict[str, list[int]] = {
            "server": workers, "streams client": [listener.pid], "load client": [os.getpid()]
        }  # fmt: skip
        if database_pid is not None:
            groups["PostgreSQL"] = [database_pid]
        # What the open streams cost with no load: what every request then shares.
        with Usage(groups, workers, trees=("PostgreSQL",)) as idle:
            time.sleep(IDLE_SECONDS)
        load_before = os.getloadavg()
        started = time.perf_counter()
        with Usage(groups, workers, trees=("PostgreSQL",)) as usage, spying(workers, args):
            tally = asyncio.run(
                mixed_load(urls, token, hoods, mixed_ids, args.workers, args.duration)
            )
        elapsed = time.perf_counter() - started
        load_after = os.getloadavg()
        time.sleep(3)  # the last changes' deliveries
        costs = {}
        for name, _ in ROUTES if args.route_costs else ():
            # One client, one route, the streams still open: what a request of it costs.
            with Usage(groups, workers, trees=("PostgreSQL",)) as alone:
                one = asyncio.run(mixed_load(urls, token, hoods, spare_ids, 1,
                                             args.route_costs, routes=((name, 1),)))  # fmt: skip
            costs[name] = (one.latencies[name], alone.cpu, len(one.errors[name]))
        stop.set()
        listener.join(30)
        logs = [str(server.log) for server in servers]
    streams = json.loads(Path(out).read_text())
    return {"label": label, "elapsed": elapsed, "tally": tally, "streams": streams,
            "expected_streams": args.streams, "logs": logs, "usage": usage, "idle": idle,
            "costs": costs,
            "load": (load_before, load_after)}  # fmt: skip


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
        usage: Usage = r["usage"]
        requests = sum(len(v) for v in r["tally"].latencies.values()) or 1
        rss = ", ".join(f"{b / 2**20:.0f}" for b in usage.rss.values())
        spent = ", ".join(f"{name} {s / requests * 1000:.1f}" for name, s in usage.cpu.items())
        before, after = r["load"]
        print(f"\n[{r['label']}] RSS per worker (MiB, most seen under load): {rss}")
        print(f"[{r['label']}] CPU per request (ms): {spent}; "
              f"total {sum(usage.cpu.values()) / requests * 1000:.1f}")  # fmt: skip
        idle: Usage = r["idle"]
        server_idle = idle.cpu["server"] / IDLE_SECONDS
        print(f"[{r['label']}] before the load, the {r['expected_streams']} open streams alone: "
              f"server {server_idle * 100:.1f}% of a core")  # fmt: skip
        # Capacity if the machine ran only the server and its database (clients elsewhere):
        # a worker uses one core at most, the server and PostgreSQL all of them together;
        # what the idle streams take aside.
        server = (usage.cpu["server"] - server_idle * r["elapsed"]) / requests
        database = usage.cpu.get("PostgreSQL", 0.0) / requests
        if server > 0:
            cores, workers = len(os.sched_getaffinity(0)), len(usage.workers)
            most = min(
                (workers - server_idle) / server, (cores - server_idle) / (server + database)
            )
            print(f"[{r['label']}] CPU per request without the streams' idle share: server "
                  f"{server * 1000:.1f} ms, database {database * 1000:.1f} ms: at most "
                  f"{most:.0f} req/s with {workers} worker(s) on {cores} cores and nothing "
                  "else running")  # fmt: skip
        if r["costs"]:
            print(f"[{r['label']}] each route alone, 1 client, streams open: requests, "
                  "mean ms, CPU ms per request of the server and of PostgreSQL")  # fmt: skip
        for name, (latencies, cpu, errors) in r["costs"].items():
            n = len(latencies) or 1
            print(f"    {name:32}{len(latencies):>6}{sum(latencies) / n * 1000:>8.1f}"
                  f"{cpu['server'] / n * 1000:>8.1f}{cpu.get('PostgreSQL', 0) / n * 1000:>8.1f}"
                  + (f"  ({errors} errors)" if errors else ""))  # fmt: skip
        print(f"[{r['label']}] load average (1 min) before / after: "
              f"{before[0]:.2f} / {after[0]:.2f} on {os.cpu_count()} cores")  # fmt: skip
    for r in results:
        for reason, count in Counter(r["streams"].get("why", {})).most_common(3):
            print(f"[{r['label']}] streams dropped {count}×: {reason}")
        for name, errors in r["tally"].errors.items():
            print(f"[{r['label']}] {name}: {len(errors)} errors, first: {errors[0]}")
        if any(r["tally"].errors.values()):
            print(f"[{r['label']}] server logs: {', '.join(r['logs'])}")


def goals(result: dict) -> list[str]:
    """Issue 28's goals for the load on PostgreSQL, each met or missed with its figure."""
    tally: Tally = result["tally"]
    every = [v for values in tally.latencies.values() for v in values]
    rps = len(every) / result["elapsed"]
    p99 = percentile_ms(every, 0.99)
    errors = sum(len(v) for v in tally.errors.values())
    received = result["streams"]["received"]
    expected = len(tally.sent) * result["expected_streams"]
    got = sum(min(len(received.get(key, [])), result["expected_streams"]) for key in tally.sent)
    checks = [
        (f">= {GOAL_RPS:.0f} req/s", rps >= GOAL_RPS, f"{rps:.1f} req/s"),
        (f"p99 < {GOAL_P99_MS:.0f} ms", p99 < GOAL_P99_MS, f"{p99:.1f} ms"),
        ("0 errors", errors == 0, f"{errors}"),
        ("0 lost stream events", expected == got, f"{expected - got:,} of {expected:,}"),
    ]
    return [f"{name}: {'met' if ok else 'MISSED'} ({figure})" for name, ok, figure in checks]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8, help="clients in a closed loop")
    parser.add_argument(
        "--server-workers", type=int, default=2, help="PostgreSQL: `serve --workers` (default 2)"
    )
    parser.add_argument("--events", type=int, default=60_000, help="backfilled before the run")
    parser.add_argument(
        "--route-costs", type=float, default=0, metavar="SECONDS",
        help="after the mix, each route alone for SECONDS: its CPU per request",
    )  # fmt: skip
    parser.add_argument(
        "--py-spy", metavar="FOLDER", help="sample the server's workers with py-spy into FOLDER"
    )
    parser.add_argument("--deployment", choices=["both", "sqlite", "postgresql"], default="both")
    args = parser.parse_args()
    if args.py_spy and not (BIN / "py-spy").exists():
        sys.exit(f"--py-spy needs py-spy: {BIN / 'pip'} install py-spy (a tool, not a dependency)")
    results = []
    if args.deployment in ("both", "sqlite"):
        folder = Path(tempfile.mkdtemp(prefix="buurt-load-"))
        url = f"sqlite+aiosqlite:///{folder / 'load.db'}"
        results.append(run_deployment("1 server, SQLite", url, ("--workers", "1"), args))
    if args.deployment in ("both", "postgresql"):
        from tests.pgserver import PostgresServer

        postgres = PostgresServer(durable=True)
        postgres.start()
        try:
            postgres.psql("CREATE DATABASE load")
            workers = str(args.server_workers)
            assert postgres.process is not None
            results.append(
                run_deployment(
                    f"PostgreSQL, serve --workers {workers}", postgres.url("load"),
                    ("--workers", workers), args, postgres.process.pid,
                )
            )  # fmt: skip
        finally:
            postgres.stop()
    print(f"\nLoad bench: {args.workers} clients in a closed loop for {args.duration:.0f} s, "
          f"{args.streams} open streams, {SUBMISSIONS:,} submissions, {args.events:,} events "
          f"backfilled; Brussels-sized (115 neighbourhoods)")  # fmt: skip
    report(results)
    for r in results:
        if "PostgreSQL" in r["label"]:
            print(f"\nGoals (issue 28) on {r['label']}, {args.streams} streams:")
            for line in goals(r):
                print(f"  {line}")


if __name__ == "__main__":
    main()
