"""Requests per second and p99 of the API's hot routes and of every list of /v1, beside the
floor of its own stack.

The floor is a bare FastAPI app answering a small JSON on the same uvicorn, Python and
machine; each route of the seeded demo server (SQLite, and PostgreSQL with --postgres) is
loaded the same way, one after the other, and printed as a ratio of that floor. The demo
has its messages, surveys, budget and reply templates; 60 API tokens are made first, so the
tokens' and the audit log's first pages are full (50). The load generator is wrk (Debian:
apt-get install wrk), so the client is not the bottleneck.

Beside requests per second, the server process's CPU time per request under that load (the
floor's too): on a machine other work shares, req/s moves with that work, CPU per request
hardly does, and one process bound by its CPU answers 1/(CPU per request) a second when it
has a core to itself. The targets are judged on that ratio (floor's CPU ÷ the route's).

    .venv/bin/python bench/throughput.py [--seconds 8] [--connections 8] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BIN, Server, free_port

ROUTES = (
    "/healthz",
    "/v1/me",
    "/v1/stats/overview",
    "/v1/neighbourhoods",
    "/v1/submissions?limit=50",
    "/v1/messages",
    "/v1/audit",
    "/v1/tokens",
    "/v1/reply-templates",
    "/v1/staff",
    "/v1/categories",
    "/v1/submissions/workload",
    "/v1/messages/{budget}/proposals",
    "/v1/messages/{survey}/open-answers",
)
# The targets, as a share of the floor's requests per second; every list at least
# LIST_TARGET.
LIST_TARGET = 0.10
TARGETS = {
    "/v1/me": 0.30,
    "/v1/stats/overview": 0.20,
    "/v1/neighbourhoods": 0.15,
    **{route: LIST_TARGET for route in ROUTES[4:]},
}
FLOOR_APP = textwrap.dedent(
    """
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world", "served_by": "a bare FastAPI app"}
    """
)


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes so far."""
    return float(sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids))


def wrk(
    url: str, seconds: float, connections: int, pids: list[int], token: str | None = None
) -> tuple[float, float, float]:
    """(requests per second, p99 in ms, CPU ms of the processes `pids` per request) of `url`
    under wrk."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--latency"]
    if token:
        args += ["-H", f"Authorization: Bearer {token}"]
    before = cpu_seconds(pids)
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pids) - before
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed responses under load")
    return rate, p99, cpu * 1000 / max(done, 1)


def floor(seconds: float, connections: int) -> tuple[float, float, float]:
    folder = Path(tempfile.mkdtemp(prefix="buurt-floor-"))
    (folder / "floor_app.py").write_text(FLOOR_APP)
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "uvicorn"), "floor_app:app", "--app-dir", str(folder), "--port", str(port),
         "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/hello"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        return wrk(url, seconds, connections, [process.pid])
    finally:
        process.terminate()
        process.wait(10)


def prepare(database_url: str) -> None:
    """The demo dataset (Mechelen's 20 neighbourhoods, 60 submissions, its messages, surveys,
    budget and templates), migrated and seeded."""
    from bench.common import prepare as migrate_and_seed
    from server.services.seed import load_dataset

    migrate_and_seed(database_url, load_dataset(), messages=True)


def fill_lists(url: str, token: str) -> dict[str, int]:
    """60 API tokens (and their audit entries); the ids of the demo's budget and of its survey
    with open answers."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        for i in range(60):
            http.post(
                "/v1/tokens", json={"name": f"script {i}", "scopes": ["stats:read"]}
            ).raise_for_status()
        messages = http.get("/v1/messages", params={"limit": 200}).json()["items"]
        ids = {"budget": next(m["id"] for m in messages if m["kind"] == "citizen_budget")}
        ids["survey"] = max(
            (m["id"] for m in messages if m["kind"] == "survey"),
            key=lambda i: len(http.get(f"/v1/messages/{i}/open-answers").json()["items"]),
        )
    return ids


def routes(
    label: str, database_url: str, seconds: float, connections: int
) -> dict[str, tuple[float, float]]:
    prepare(database_url)
    with Server(database_url) as server:
        token = httpx.post(
            f"{server.url}/v1/auth/token",
            json={"email": "admin@mechelen.demo", "password": "buurt-demo"},
        ).json()["access_token"]
        ids = fill_lists(server.url, token)
        found = {}
        for route in ROUTES:
            print(f"[{label}] {route} …", file=sys.stderr)
            found[route] = wrk(
                server.url + route.format(**ids), seconds, connections, server.worker_pids(), token
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--postgres", action="store_true", help="the same table on PostgreSQL")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    print("[floor] bare FastAPI /hello …", file=sys.stderr)
    base_rate, base_p99, base_cpu = floor(args.seconds, args.connections)
    tables = {}
    folder = Path(tempfile.mkdtemp(prefix="buurt-throughput-"))
    tables["SQLite"] = routes(
        "SQLite", f"sqlite+aiosqlite:///{folder / 'bench.db'}", args.seconds, args.connections
    )
    if args.postgres:
        from tests.pgserver import PostgresServer

        postgres = PostgresServer(durable=True)
        postgres.start()
        try:
            postgres.psql("CREATE DATABASE throughput")
            tables["PostgreSQL"] = routes(
                "PostgreSQL", postgres.url("throughput"), args.seconds, args.connections
            )
        finally:
            postgres.stop()
    print(
        f"\nThroughput: wrk -t1 -c{args.connections} -d{args.seconds:.0f}s, one server "
        f"process, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        "× floor: req/s ÷ the bare FastAPI app's, and its CPU per request ÷ the route's"
    )
    print(
        f"{'route':<36} {'req/s':>7} {'p99 ms':>7} {'× floor':>7} {'CPU ms':>7} "
        f"{'× floor':>7}  target (on CPU)"
    )
    print(
        f"{'bare FastAPI /hello':<36} {base_rate:>7,.0f} {base_p99:>7.1f} {1:>7.2f} "
        f"{base_cpu:>7.2f} {1:>7.2f}"
    )
    for name, found in tables.items():
        print(f"-- {name}")
        for route, (rate, p99, cpu) in found.items():
            target = TARGETS.get(route)
            share = base_cpu / cpu
            mark = (
                "" if target is None else f"{target:.2f} " + ("ok" if share >= target else "MISSED")
            )
            print(
                f"{route:<36} {rate:>7,.0f} {p99:>7.1f} {rate / base_rate:>7.2f} {cpu:>7.2f} "
                f"{share:>7.2f}  {mark}"
            )


if __name__ == "__main__":
    main()
