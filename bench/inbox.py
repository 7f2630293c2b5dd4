"""The inbox at 100,000 submissions, on a real server (SQLite): p50/p95 of a filtered first
page, of a deep page (50,000 rows in, by cursor), of a text search and of the overdue view.

    .venv/bin/python bench/inbox.py [--rows 100000] [--runs 40]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, brussels_dataset, prepare, sign_in, summary, with_categories

WORDS = ("afval", "voetpad", "lamp", "boom", "fiets", "parking", "graffiti", "zwerfvuil", "put")


def fill(database_url: str, rows: int) -> None:
    """Insert `rows` submissions with their 'created' history entry, in large batches."""
    from sqlalchemy import insert, select

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
        await engine.dispose()

    asyncio.run(run())


def timed(http: httpx.Client, params: dict[str, object]) -> tuple[float, dict]:
    started = time.perf_counter()
    response = http.get("/v1/submissions", params=params)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return elapsed, response.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="buurt-bench-"))
    database_url = f"sqlite+aiosqlite:///{folder / 'inbox.db'}"
    dataset = with_categories(brussels_dataset())
    prepare(database_url, dataset)
    started = time.perf_counter()
    fill(database_url, args.rows)
    print(
        f"Inbox bench: {args.rows:,} submissions inserted in "
        f"{time.perf_counter() - started:.1f} s (SQLite)"
    )
    with Server(database_url) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        token = sign_in(server.url, dataset)
        http.headers["Authorization"] = f"Bearer {token}"
        first_page = [
            timed(http, {"status": ["new"], "kind": "report", "limit": 50})[0]
            for _ in range(args.runs)
        ]
        # Walk 50,000 rows in by cursor, then time pages at that depth.
        cursor, depth = None, 0
        while depth < min(50_000, args.rows // 2):
            _t, page = timed(http, {"limit": 200, **({"cursor": cursor} if cursor else {})})
            depth += len(page["items"])
            cursor = page["next_cursor"]
        deep = [timed(http, {"limit": 50, "cursor": cursor})[0] for _ in range(args.runs)]
        search = [timed(http, {"q": "lamp boom", "limit": 50})[0] for _ in range(args.runs)]
        overdue = [timed(http, {"overdue": "true", "limit": 50})[0] for _ in range(args.runs)]
    print(f"filtered first page (new reports, 50)     {summary(first_page)}")
    print(f"deep page ({depth:,} rows in, by cursor)     {summary(deep)}")
    print(f"text search ('lamp boom', 50)             {summary(search)}")
    print(f"overdue view (50)                         {summary(overdue)}")


if __name__ == "__main__":
    main()
