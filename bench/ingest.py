"""Event ingest on SQLite through the real API: sustained events per second.

.venv/bin/python bench/ingest.py [--events 100000] [--batch 2000] [--senders 2]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, brussels_dataset, prepare, sign_in

TYPES = ("post", "comment", "reaction", "reaction", "reaction", "message_view", "message_view",
         "connection", "help_request", "rsvp")  # fmt: skip


def make_batch(rng: random.Random, hoods: list[int], size: int) -> list[dict]:
    now = datetime.now(UTC)
    batch = []
    for _ in range(size):
        kind = rng.choice(TYPES)
        at = now - timedelta(minutes=rng.uniform(0, 60 * 24 * 7))
        event = {
            "id": uuid.uuid4().hex,
            "type": kind,
            "household": f"h{rng.randrange(40000)}",
            "neighbourhood_id": rng.choice(hoods),
            "at": at.isoformat(),
        }
        if kind == "post":
            event["topic"] = rng.choice(["help", "events", "safety"])
        if kind == "rsvp":
            event["response"] = "attending"
        batch.append(event)
    return batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=2)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="buurt-bench-"))
    database_url = f"sqlite+aiosqlite:///{folder / 'ingest.db'}"
    dataset = brussels_dataset()
    prepare(database_url, dataset)
    with Server(database_url) as server, httpx.Client(base_url=server.url, timeout=120) as http:
        access = sign_in(server.url, dataset)
        http.headers["Authorization"] = f"Bearer {access}"
        hoods = [
            n["id"] for n in http.get("/v1/neighbourhoods", params={"limit": 200}).json()["items"]
        ]
        token = http.post("/v1/tokens", json={"name": "ingest", "scopes": ["events:write"]}).json()[
            "token"
        ]
        rng = random.Random(5)
        batches = [make_batch(rng, hoods, args.batch) for _ in range(args.events // args.batch)]

        async def sender(queue: list[list[dict]]) -> int:
            headers = {"Authorization": f"Bearer {token}"}
            accepted = 0
            async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=120) as h:
                while queue:
                    batch = queue.pop()
                    r = await h.post("/v1/events", json={"events": batch})
                    if r.status_code != 200:
                        raise SystemExit(f"ingest refused: {r.status_code} {r.text[:300]}")
                    accepted += r.json()["accepted"]
            return accepted

        async def run() -> int:
            queue = list(batches)
            results = await asyncio.gather(*(sender(queue) for _ in range(args.senders)))
            return sum(results)

        started = time.perf_counter()
        accepted = asyncio.run(run())
        elapsed = time.perf_counter() - started
    print(f"Ingest bench: {accepted:,} events in batches of {args.batch} from {args.senders} "
          f"senders, SQLite, real uvicorn")  # fmt: skip
    print(f"sustained: {accepted / elapsed:,.0f} events/s over {elapsed:.1f} s (target >= 5,000)")


if __name__ == "__main__":
    main()
