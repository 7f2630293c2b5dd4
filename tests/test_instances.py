"""Two server processes on one PostgreSQL: a message published through A reaches a stream
opened on B, and a scheduled message is published once with both running."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from httpx_sse import aconnect_sse

from tests.conftest import DEMO_PASSWORD
from tests.pgserver import PostgresServer, free_port

BIN = Path(sys.executable).parent


@pytest.fixture
def two_instances(
    postgres: PostgresServer, postgres_template: str, tmp_path: Path
) -> Iterator[list[str]]:
    name = f"inst{uuid.uuid4().hex[:8]}"
    postgres.psql(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    env = {
        **os.environ,
        "BUURT_DATABASE_URL": postgres.url(name),
        "BUURT_SCHEDULER_INTERVAL_SECONDS": "0.5",
    }
    processes, urls = [], []
    for i in range(2):
        port = free_port()
        log = open(tmp_path / f"server{i}.log", "wb")  # noqa: SIM115
        processes.append(subprocess.Popen(
            [str(BIN / "buurt-server"), "serve", "--port", str(port), "--log-level", "warning"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        ))  # fmt: skip
        urls.append(f"http://127.0.0.1:{port}")
    for url in urls:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "an instance did not start"
            time.sleep(0.2)
    yield urls
    for p in processes:
        p.terminate()
        p.wait(timeout=15)


def announcement(title: str, **extra: object) -> dict:
    return {
        "kind": "announcement",
        "title": {"nl": title},
        "body": {"nl": "Tekst."},
        "targets": "all",
        **extra,
    }


async def test_published_on_a_is_streamed_on_b(two_instances: list[str]) -> None:
    a, b = two_instances
    async with httpx.AsyncClient(timeout=10) as http:
        token = (
            await http.post(
                f"{a}/v1/auth/token",
                json={"email": "officer@mechelen.demo", "password": DEMO_PASSWORD},
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        received: list = []
        ready = asyncio.Event()

        async def listen_on_b() -> None:
            async with aconnect_sse(http, "GET", f"{b}/v1/stream", headers=headers) as source:
                ready.set()
                async for sse in source.aiter_sse():
                    if sse.event == "message.published":
                        received.append(json.loads(sse.data))
                        return

        listener = asyncio.create_task(listen_on_b())
        await asyncio.wait_for(ready.wait(), 10)
        published = await http.post(
            f"{a}/v1/messages", headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            json=announcement("Via A", action="publish"),
        )  # fmt: skip
        assert published.status_code == 201
        await asyncio.wait_for(listener, 10)
    assert received[0]["id"] == published.json()["id"]


async def test_scheduled_message_fires_once_with_both_running(two_instances: list[str]) -> None:
    a, b = two_instances
    async with httpx.AsyncClient(timeout=10) as http:
        token = (
            await http.post(
                f"{a}/v1/auth/token",
                json={"email": "officer@mechelen.demo", "password": DEMO_PASSWORD},
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        when = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
        created = await http.post(
            f"{b}/v1/messages", headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            json=announcement("Gepland", action="schedule", scheduled_at=when),
        )  # fmt: skip
        message_id = created.json()["id"]
        for _ in range(60):
            state = (await http.get(f"{a}/v1/messages/{message_id}", headers=headers)).json()[
                "state"
            ]
            if state == "published":
                break
            await asyncio.sleep(0.2)
        assert state == "published"
        await asyncio.sleep(1.5)  # both schedulers have had more rounds by now
        admin = (
            await http.post(
                f"{a}/v1/auth/token",
                json={"email": "admin@mechelen.demo", "password": DEMO_PASSWORD},
            )
        ).json()["access_token"]
        entries = (await http.get(f"{b}/v1/audit", headers={"Authorization": f"Bearer {admin}"},
                                  params={"action": "message.publish", "limit": 200})).json()["items"]  # fmt: skip
    assert [e["object_id"] for e in entries].count(str(message_id)) == 1
