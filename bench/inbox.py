"""The inbox at 100,000 submissions beside the same inbox at 1,000, on real servers (SQLite,
or PostgreSQL with --postgres): p50/p95 of the page a moderator opens (50, newest first), a
filtered first page, the pages by last change and by due date, a deep page (halfway in, by
cursor), a text search and the overdue view, and for each the ratio of the two p95s. The
requests to the two servers take turns, so load from elsewhere falls on both alike.
Target: a page's p95 at 100,000 within 1.5x of the same page at 1,000 (its cost does not grow
with the data).

    .venv/bin/python bench/inbox.py [--rows 100000] [--baseline 1000] [--runs 60] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # tests.pgserver
from common import (
    Server,
    brussels_dataset,
    growth,
    growth_header,
    interleaved,
    prepare,
    sign_in,
    with_categories,
)

WORDS = ("afval", "voetpad", "lamp", "boom", "fiets", "parking", "graffiti", "zwerfvuil", "put")


def fill(database_url: str, rows: int) -> None:
    """Insert `rows` submissions with their 'created' history entry, in large batches."""
    from sqlalchemy import insert, select
    from sqlalchemy import text as sql

    from server.db import make_engine, make_sessionmaker
    from server.models import Category, Neighbourhood, Submission, SubmissionEntry
    from server.settings import Settings

    async def run() -> None:
        engine = make_engine(Settings(database_url=database_url))
        async with make_sessionmaker(engine)() as session:
            cats = (await session.scalars(select(Category))).all()
            hoods = (await session.scalars(select(Neighbourhood))).all()
            rng = random.Random(7)
            now = datetime.now(UTC)
            statuses = ["new"] * 4 + [
                "acknowledged",
                "in_progress",
                "resolved",
                "resolved",
                "rejected",
            ]
            for start in range(0, rows, 5000):
                batch, entries = [], []
                for i in range(start, min(rows, start + 5000)):
                    cat = rng.choice(cats)
                    hood = rng.choice(hoods)
                    created = now - timedelta(minutes=rng.uniform(0, 365 * 24 * 60))
                    status = rng.choice(statuses)
                    text = f"{rng.choice(WORDS)} {rng.choice(WORDS)} bij nummer {i % 200}"
                    batch.append({
                        "id": i + 1, "municipality_id": hood.municipality_id,
                        "neighbourhood_id": hood.id, "category_id": cat.id, "kind": cat.kind,
                        "description": text, "lat": hood.lat, "lon": hood.lon,
                        "address": None, "media_url": None, "reporter_name": "Bench Resident",
                        "reporter_contact": f"r{i}@example.org", "status": status,
                        "priority": "normal", "department": cat.department, "source": "bench",
                        "search_text": text, "version": 1, "created_at": created,
                        "updated_at": created, "due_at": created + timedelta(days=cat.target_days),
                        "first_response_at": (
                            None if status == "new" else created + timedelta(hours=5)
                        ),
                        "assignee_account_id": None, "duplicate_of_id": None,
                    })  # fmt: skip
                    entries.append({"submission_id": i + 1, "kind": "created", "at": created})
                await session.execute(insert(Submission), batch)
                await session.execute(insert(SubmissionEntry), entries)
                await session.commit()
            if engine.dialect.name == "postgresql":
                # The statistics autovacuum would gather soon after such a load.
                await session.execute(sql("ANALYZE"))
                await session.commit()
        await engine.dispose()

    asyncio.run(run())


def get(http: httpx.Client, params: dict[str, object]) -> dict:
    response = http.get("/v1/submissions", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def halfway(http: httpx.Client, rows: int) -> tuple[str, int]:
    """The cursor of the page halfway into the inbox (at most 50,000 rows in), walked to."""
    cursor, depth = None, 0
    while depth < min(50_000, rows // 2):
        page = get(http, {"limit": 200, **({"cursor": cursor} if cursor else {})})
        depth += len(page["items"])
        cursor = page["next_cursor"]
    assert cursor is not None
    return cursor, depth


def measure(urls: dict[int, str], dataset: dict, runs: int) -> list[str]:
    """The table's lines: each view at both sizes, taking turns."""
    with contextlib.ExitStack() as stack:
        http = {}
        for rows, url in urls.items():
            client = stack.enter_context(httpx.Client(base_url=url, timeout=60))
            client.headers["Authorization"] = f"Bearer {sign_in(url, dataset)}"
            http[rows] = client
        deep = {rows: halfway(client, rows) for rows, client in http.items()}
        views: dict[str, Callable[[int], dict[str, object]]] = {
            "inbox page (50, newest first)": lambda _rows: {"limit": 50},
            "new reports (50)": lambda _rows: {"status": ["new"], "kind": "report", "limit": 50},
            "by last change (50)": lambda _rows: {"sort": "-updated", "limit": 50},
            "by due date (50)": lambda _rows: {"sort": "due", "limit": 50},
            "deep page (halfway, by cursor)": lambda rows: {"limit": 50, "cursor": deep[rows][0]},
            "text search ('lamp boom', 50)": lambda _rows: {"q": "lamp boom", "limit": 50},
            "overdue view (50)": lambda _rows: {"overdue": "true", "limit": 50},
        }
        small, large = sorted(http)
        lines = []
        for label, params in views.items():
            for client, rows in ((http[small], small), (http[large], large)):
                get(client, params(rows))  # warm: the first read of a view fills caches
            times = interleaved(
                {str(rows): functools.partial(get, http[rows], params(rows)) for rows in http},
                runs,
            )
            lines.append(growth(label, times[str(small)], times[str(large)]))
        lines.append(f"(the deep pages: {deep[small][1]:,} and {deep[large][1]:,} rows in)")
        return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=1_000, help="the small inbox")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL, not SQLite")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="buurt-bench-"))
    dataset = with_categories(brussels_dataset())
    with contextlib.ExitStack() as stack:
        if args.postgres:
            from tests.pgserver import PostgresServer

            postgres = PostgresServer(durable=True)
            postgres.start()
            stack.callback(postgres.stop)
        urls = {}
        for rows in (args.baseline, args.rows):
            if args.postgres:
                postgres.psql(f"CREATE DATABASE inbox_{rows}")
                database_url = postgres.url(f"inbox_{rows}")
            else:
                database_url = f"sqlite+aiosqlite:///{folder / f'inbox-{rows}.db'}"
            prepare(database_url, dataset)
            started = time.perf_counter()
            fill(database_url, rows)
            print(f"{rows:,} submissions inserted in {time.perf_counter() - started:.1f} s")
            urls[rows] = stack.enter_context(Server(database_url)).url
        lines = measure(urls, dataset, args.runs)
    name = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\nInbox bench ({name}): {args.runs} runs a view, the two servers taking turns")
    print(growth_header(f"{args.baseline:,} rows", f"{args.rows:,} rows"))
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
