"""Two server processes on one PostgreSQL: a message published through A reaches a stream
opened on B (by NOTIFY: the instances poll only every 30 s here), a lost notification loses
nothing, concurrent writers through both keep stream ids in order, and a scheduled message
is published once with both running."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from httpx_sse import aconnect_sse

from tests.conftest import DEMO_PASSWORD
from tests.pgserver import PostgresServer, free_port
from tests.processes import start_server, wait_ready


@dataclass
class Instances:
    urls: list[str]
    database: str
    postgres: PostgresServer

    def psql(self, sql: str) -> None:
        self.postgres.psql(sql, database=self.database)


@pytest.fixture
def two_instances(
    postgres: PostgresServer, postgres_template: str, tmp_path: Path
) -> Iterator[Instances]:
    name = f"inst{uuid.uuid4().hex[:8]}"
    postgres.psql(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    env = {
        **os.environ,
        "BUURT_DATABASE_URL": postgres.url(name),
        "BUURT_SCHEDULER_INTERVAL_SECONDS": "0.5",
        # Far slower than any wait below: what arrives in time came by NOTIFY.
        "BUURT_STREAM_POLL_SECONDS": "30",
        "BUURT_FIGURES_CACHE_SECONDS": "30",
    }
    ports = [free_port(), free_port()]
    processes = [
        start_server(env, port, tmp_path / f"server{i}.log", stream="listening")
        for i, port in enumerate(ports)
    ]
    yield Instances([f"http://127.0.0.1:{port}" for port in ports], name, postgres)
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


async def token_for(http: httpx.AsyncClient, url: str, email: str) -> dict[str, str]:
    answer = await http.post(
        f"{url}/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD}
    )
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def published_on(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], count: int, ready: asyncio.Event
) -> list[dict]:
    """The first `count` messages published, as the stream at `url` tells them."""
    received: list[dict] = []
    async with aconnect_sse(http, "GET", f"{url}/v1/stream", headers=headers) as source:
        ready.set()
        async for sse in source.aiter_sse():
            if sse.event == "message.published":
                received.append(json.loads(sse.data))
                if len(received) == count:
                    break
    return received


@pytest.mark.slow
async def test_published_on_a_is_streamed_on_b(two_instances: Instances) -> None:
    a, b = two_instances.urls
    async with httpx.AsyncClient(timeout=10) as http:
        headers = await token_for(http, a, "officer@mechelen.demo")
        ready = asyncio.Event()
        listener = asyncio.create_task(published_on(http, b, headers, 1, ready))
        await asyncio.wait_for(ready.wait(), 10)
        published = await http.post(
            f"{a}/v1/messages", headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            json=announcement("Via A", action="publish"),
        )  # fmt: skip
        assert published.status_code == 201, published.text
        received = await asyncio.wait_for(listener, 10)
    assert received[0]["id"] == published.json()["id"]


@pytest.mark.slow
async def test_scheduled_message_fires_once_with_both_running(two_instances: Instances) -> None:
    a, b = two_instances.urls
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


@pytest.mark.slow
async def test_a_lost_notification_loses_nothing(two_instances: Instances) -> None:
    a, b = two_instances.urls
    async with httpx.AsyncClient(timeout=10) as http:
        headers = await token_for(http, a, "officer@mechelen.demo")
        ready = asyncio.Event()
        listener = asyncio.create_task(published_on(http, b, headers, 2, ready))
        await asyncio.wait_for(ready.wait(), 10)
        # Written straight into the table: no NOTIFY comes with it.
        two_instances.psql(
            "INSERT INTO stream_events (municipality_id, type, data, at) "
            'SELECT id, \'message.published\', \'{"title": {"nl": "Stil"}}\', now() '
            "FROM municipalities WHERE slug = 'mechelen'"
        )
        # B's LISTEN connection is cut; it comes back by itself.
        two_instances.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
        )
        await asyncio.to_thread(wait_ready, b, 30, "listening")
        published = await http.post(
            f"{a}/v1/messages", headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            json=announcement("Luid", action="publish"),
        )  # fmt: skip
        assert published.status_code == 201, published.text
        received = await asyncio.wait_for(listener, 10)
    assert [m["title"]["nl"] for m in received] == ["Stil", "Luid"]


@pytest.mark.slow
async def test_concurrent_writers_on_both_keep_stream_ids_in_order(
    two_instances: Instances,
) -> None:
    a, b = two_instances.urls
    async with httpx.AsyncClient(timeout=30) as http:
        headers = await token_for(http, a, "admin@mechelen.demo")
        hoods = (await http.get(f"{a}/v1/neighbourhoods", headers=headers)).json()["items"]
        hood_ids = [h["id"] for h in hoods]
        first = await http.post(
            f"{a}/v1/events", headers=headers,
            json={"events": [{"id": "start", "type": "post", "household": "h0",
                              "neighbourhood_id": hood_ids[0],
                              "at": datetime.now(UTC).isoformat()}]},
        )  # fmt: skip
        assert first.status_code == 200, first.text
        ids: list[int] = []
        ready = asyncio.Event()
        writers, batches = 8, 5

        async def listen_on_b() -> None:
            async with aconnect_sse(http, "GET", f"{b}/v1/stream", headers=headers) as source:
                ready.set()
                async for sse in source.aiter_sse():
                    if sse.event == "stats.delta":
                        ids.append(int(sse.id))

        listener = asyncio.create_task(listen_on_b())
        await asyncio.wait_for(ready.wait(), 10)

        async def writer(w: int) -> None:
            url = (a, b)[w % 2]
            for n in range(batches):
                events = [
                    {"id": f"w{w}-{n}-{i}", "type": "post", "household": f"h{w}{i}",
                     "neighbourhood_id": hood_ids[(w + i) % len(hood_ids)],
                     "at": datetime.now(UTC).isoformat()}
                    for i in range(3)
                ]  # fmt: skip
                answer = await http.post(f"{url}/v1/events", headers=headers,
                                         json={"events": events})  # fmt: skip
                assert answer.status_code == 200, answer.text

        await asyncio.gather(*(writer(w) for w in range(writers)))
        expected = writers * batches * 3
        for _ in range(100):
            if len(ids) >= expected:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # anything beyond would show up as a surplus
        listener.cancel()
    # Every batch touched three neighbourhoods: three deltas, all seen, in id order.
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids)) == writers * batches * 3


@pytest.mark.slow
async def test_rate_limit_and_idempotency_hold_across_instances(two_instances: Instances) -> None:
    a, b = two_instances.urls
    async with httpx.AsyncClient(timeout=20) as http:
        # Five wrong passwords, spread over both: the next try is refused on either one,
        # even with the right password.
        for i in range(5):
            wrong = await http.post(
                f"{(a, b)[i % 2]}/v1/auth/token",
                json={"email": "analyst@mechelen.demo", "password": f"wrong {i}"},
            )
            assert wrong.status_code == 401
        for url in (a, b):
            limited = await http.post(
                f"{url}/v1/auth/token",
                json={"email": "analyst@mechelen.demo", "password": DEMO_PASSWORD},
            )
            assert limited.status_code == 429 and "Retry-After" in limited.headers
        # The same publication sent to both at once: one message, the twin replays it.
        headers = await token_for(http, a, "officer@mechelen.demo")
        key = {**headers, "Idempotency-Key": uuid.uuid4().hex}
        body = announcement("Eén keer", action="publish")
        answers = await asyncio.gather(
            *(http.post(f"{url}/v1/messages", headers=key, json=body) for url in (a, b, a, b))
        )
        assert {r.status_code for r in answers} == {201}
        assert len({r.json()["id"] for r in answers}) == 1
        assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in answers) == 3
        listed = (
            await http.get(f"{b}/v1/messages", headers=headers, params={"q": "Eén keer"})
        ).json()
        assert len(listed["items"]) == 1


@pytest.mark.slow
async def test_workers_of_one_serve_all_hear_a_publication(
    postgres: PostgresServer, postgres_template: str, tmp_path: Path
) -> None:
    # `serve --workers 2`: one port, two processes; streams land on either, all hear it.
    name = f"wrk{uuid.uuid4().hex[:8]}"
    postgres.psql(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    env = {
        **os.environ,
        "BUURT_DATABASE_URL": postgres.url(name),
        "BUURT_STREAM_POLL_SECONDS": "30",
    }
    port = free_port()
    server = start_server(env, port, tmp_path / "server.log", "warning", "--workers", "2",
                          stream="listening")  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            headers = await token_for(http, url, "officer@mechelen.demo")
            readies = [asyncio.Event() for _ in range(8)]
            listeners = [
                asyncio.create_task(published_on(http, url, headers, 1, ready)) for ready in readies
            ]
            await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 10)
            await asyncio.sleep(1)  # the second worker is listening by now too
            published = await http.post(
                f"{url}/v1/messages", headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                json=announcement("Iedereen", action="publish"),
            )  # fmt: skip
            assert published.status_code == 201
            heard = await asyncio.wait_for(asyncio.gather(*listeners), 10)
        assert [got[0]["id"] for got in heard] == [published.json()["id"]] * 8
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.slow
async def test_figures_read_on_b_show_a_write_on_a_at_once(two_instances: Instances) -> None:
    """B keeps its figures for 30 s here, yet the first read after A's write sees it: the
    NOTIFY that wakes B's streams also ends what B kept."""
    a, b = two_instances.urls
    async with httpx.AsyncClient(timeout=10) as http:
        headers = await token_for(http, a, "admin@mechelen.demo")
        hood = (await http.get(f"{a}/v1/neighbourhoods", headers=headers)).json()["items"][0]
        before = (await http.get(f"{b}/v1/stats/overview", headers=headers)).json()
        now = datetime.now(UTC).isoformat()
        batch = [{"id": f"b{i}", "type": "post", "household": f"n{i}",
                  "neighbourhood_id": hood["id"], "at": now} for i in range(3)]  # fmt: skip
        sent = await http.post(f"{a}/v1/events", headers=headers, json={"events": batch})
        assert sent.json()["accepted"] == 3
        posts = before["metrics"]["posts"]
        for _ in range(40):
            after = (await http.get(f"{b}/v1/stats/overview", headers=headers)).json()
            if after["metrics"]["posts"] == posts + 3:
                break
            await asyncio.sleep(0.05)
    assert after["metrics"]["posts"] == posts + 3
