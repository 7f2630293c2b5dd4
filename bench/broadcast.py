"""Broadcast to all 115 neighbourhoods of a Brussels-sized municipality, on a real server.

Prints the reach computation time (POST /v1/messages/reach, all targets), the time from a
publish request to the message being stored and answered, and the time of a replay of the
same request (same Idempotency-Key).

    .venv/bin/python bench/broadcast.py [--runs 50]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, brussels_dataset, prepare, sign_in, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    folder = Path(tempfile.mkdtemp(prefix="buurt-bench-"))
    database_url = f"sqlite+aiosqlite:///{folder / 'broadcast.db'}"
    dataset = brussels_dataset()
    prepare(database_url, dataset)
    with Server(database_url) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        token = sign_in(server.url, dataset)
        auth = {"Authorization": f"Bearer {token}"}
        reach_times, publish_times, replay_times = [], [], []
        for _ in range(runs):
            started = time.perf_counter()
            reach = http.post("/v1/messages/reach", json={"targets": "all"}, headers=auth)
            reach_times.append(time.perf_counter() - started)
            assert reach.status_code == 200 and len(reach.json()["neighbourhoods"]) == 115
        for i in range(runs):
            key = str(uuid.uuid4())
            body = {
                "kind": "alert",
                "alert": {"urgency": "high"},
                "title": {"fr": f"Alerte {i}", "nl": f"Waarschuwing {i}"},
                "body": {"fr": "Restez à l'intérieur.", "nl": "Blijf binnen."},
                "targets": "all",
                "action": "publish",
            }
            headers = {**auth, "Idempotency-Key": key}
            started = time.perf_counter()
            response = http.post("/v1/messages", json=body, headers=headers)
            publish_times.append(time.perf_counter() - started)
            assert response.status_code == 201, response.text
            message = response.json()
            assert message["state"] == "published" and len(message["target_names"]) == 115
            started = time.perf_counter()
            again = http.post("/v1/messages", json=body, headers=headers)
            replay_times.append(time.perf_counter() - started)
            assert again.json()["id"] == message["id"]
        stored = http.get("/v1/messages", params={"limit": 200}, headers=auth).json()["items"]
        assert len(stored) == runs, "each publish stored exactly once"
        registered = reach.json()["registered_households"]
    print(
        f"Broadcast bench: 115 neighbourhoods, {registered:,} registered households, "
        f"SQLite, {runs} runs"
    )
    print(f"reach of all 115 (POST /v1/messages/reach)   {summary(reach_times)}")
    print(f"publish to all 115, request -> stored        {summary(publish_times)}")
    print(f"replay with the same Idempotency-Key         {summary(replay_times)}")


if __name__ == "__main__":
    main()
