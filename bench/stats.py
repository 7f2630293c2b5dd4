"""Statistics at Brussels size: 115 neighbourhoods with a year of history.

Prints p50/p95 of GET /v1/stats/overview and of a timeseries on a real server, and the ratio
against the same figures computed by scanning the raw events (what the rollups avoid).
Targets: overview p95 < 20 ms, >= 50x faster than the scan.

    .venv/bin/python bench/stats.py [--scale 0.25] [--runs 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, brussels_dataset, prepare, sign_in, summary


def scan_overview(database_url: str, days: int) -> float:
    """The overview's counts straight from engagement_events; returns seconds taken."""
    from sqlalchemy import func, select

    from server.db import make_engine, make_sessionmaker
    from server.models import EngagementEvent
    from server.settings import Settings

    async def run() -> float:
        engine = make_engine(Settings(database_url=database_url))
        async with make_sessionmaker(engine)() as session:
            started = time.perf_counter()
            since = datetime.now(UTC) - timedelta(days=days)
            await session.execute(
                select(EngagementEvent.type, func.count())
                .where(EngagementEvent.at >= since)
                .group_by(EngagementEvent.type)
            )
            week = datetime.now(UTC) - timedelta(days=7)
            await session.scalar(
                select(func.count(func.distinct(EngagementEvent.household))).where(
                    EngagementEvent.at >= week
                )
            )
            elapsed = time.perf_counter() - started
        await engine.dispose()
        return elapsed

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.25, help="activity per household")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="buurt-bench-"))
    database_url = f"sqlite+aiosqlite:///{folder / 'stats.db'}"
    dataset = brussels_dataset()
    prepare(database_url, dataset)
    with Server(database_url) as server, httpx.Client(base_url=server.url, timeout=120) as http:
        access = sign_in(server.url, dataset)
        http.headers["Authorization"] = f"Bearer {access}"
        token = http.post(
            "/v1/tokens", json={"name": "bench", "scopes": ["events:write", "stats:read"]}
        ).json()["token"]
        from server import simulator

        async def fill() -> int:
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=120) as h:
                return await simulator.backfill(h, 365, args.scale)

        started = time.perf_counter()
        events = asyncio.run(fill())
        fill_seconds = time.perf_counter() - started
        overview = [0.0] * args.runs
        for i in range(args.runs):
            t = time.perf_counter()
            assert http.get("/v1/stats/overview", params={"period": "30d"}).status_code == 200
            overview[i] = time.perf_counter() - t
        series = [0.0] * args.runs
        for i in range(args.runs):
            t = time.perf_counter()
            http.get(
                "/v1/stats/timeseries",
                params={"metric": "posts", "granularity": "week", "period": "365d"},
            )
            series[i] = time.perf_counter() - t
    scans = [scan_overview(database_url, 30) for _ in range(5)]
    # The server-side share of an overview is what the scan replaces: compare like with like.
    from server.db import make_engine, make_sessionmaker
    from server.principal import Principal
    from server.services import stats as stats_service
    from server.settings import Settings

    async def direct() -> list[float]:
        from sqlalchemy import select
        from sqlalchemy.orm import selectinload

        from server.models import Organisation, StaffAccount

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
            for _ in range(args.runs):
                t = time.perf_counter()
                await stats_service.overview(session, principal, days=30)
                times.append(time.perf_counter() - t)
        await engine.dispose()
        return times

    rollup_times = asyncio.run(direct())
    ratio = statistics.median(scans) / statistics.median(rollup_times)
    print(f"Stats bench: 115 neighbourhoods, {events:,} events over 365 days "
          f"(sent in {fill_seconds:.0f} s), SQLite")  # fmt: skip
    print(f"GET /v1/stats/overview (30 days, HTTP)      {summary(overview)}")
    print(f"GET /v1/stats/timeseries (posts, weekly)    {summary(series)}")
    print(f"overview from rollups, in process           {summary(rollup_times)}")
    print(f"same counts by scanning raw events          {summary(scans)}")
    print(f"rollups vs scan: {ratio:.0f}x faster (target >= 50x); overview p95 target < 20 ms")


if __name__ == "__main__":
    main()
