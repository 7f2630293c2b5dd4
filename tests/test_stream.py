"""The live stream on a real server: events arrive, and a client that reconnects with its
Last-Event-ID misses nothing; an agency sees only its neighbourhoods."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from httpx_sse import aconnect_sse
from sqlalchemy import select

from server.models import Municipality, StreamEvent
from server.services import live
from tests.conftest import DEMO_PASSWORD
from tests.live import LiveServer


async def token(http: httpx.AsyncClient, email: str) -> str:
    response = await http.post("/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    return response.json()["access_token"]


async def read(http: httpx.AsyncClient, headers: dict[str, str], count: int, sent: asyncio.Event | None = None,
               after: list | None = None) -> list:  # fmt: skip
    """Collect `count` events (or fewer when 5 s pass)."""
    got: list = []

    async def collect() -> None:
        async with aconnect_sse(http, "GET", "/v1/stream", headers=headers) as source:
            if sent is not None:
                sent.set()
            async for event in source.aiter_sse():
                if not event.data:  # the opening `retry:` line carries no event
                    continue
                got.append(event)
                if len(got) >= count:
                    return

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(collect(), 5)
    return got


def batch(hood: int, prefix: str, n: int) -> dict:
    now = datetime.now(UTC).isoformat()
    return {"events": [{"id": f"{prefix}{i}", "type": "post", "topic": "events", "household": f"h{i}",
                        "neighbourhood_id": hood, "at": now} for i in range(n)]}  # fmt: skip


async def test_resume_after_a_forced_disconnect(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as http:
        admin = {"Authorization": f"Bearer {await token(http, 'admin@denhaag.demo')}"}
        hoods = (await http.get("/v1/neighbourhoods", headers=admin)).json()["items"]
        ready = asyncio.Event()
        reader = asyncio.create_task(read(http, admin, 2, ready))
        await ready.wait()
        for i, hood in enumerate(hoods[:2]):
            assert (
                await http.post("/v1/events", headers=admin, json=batch(hood["id"], f"a{i}-", 3))
            ).status_code == 200
        first = await reader
        assert [e.event for e in first] == ["stats.delta", "stats.delta"]
        assert json.loads(first[0].data)["metrics"]["posts"] == 3
        last_id = first[-1].id
        # Disconnected: three more batches happen meanwhile.
        for i, hood in enumerate(hoods[2:5]):
            await http.post("/v1/events", headers=admin, json=batch(hood["id"], f"b{i}-", 2))
        missed = await read(http, {**admin, "Last-Event-ID": last_id}, 3)
        assert len(missed) == 3
        ids = [int(e.id) for e in missed]
        assert ids == sorted(ids) and ids[0] > int(last_id)
        assert {json.loads(e.data)["neighbourhood_id"] for e in missed} == {
            h["id"] for h in hoods[2:5]
        }


async def test_stream_is_scoped_and_authenticated(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as http:
        assert (await http.get("/v1/stream")).status_code == 401
        admin = {"Authorization": f"Bearer {await token(http, 'admin@mechelen.demo')}"}
        agency = {"Authorization": f"Bearer {await token(http, 'ocmw@mechelen.demo')}"}
        hoods = {
            h["name"]: h["id"]
            for h in (
                await http.get("/v1/neighbourhoods", headers=admin, params={"limit": 200})
            ).json()["items"]
        }
        ready = asyncio.Event()
        reader = asyncio.create_task(read(http, agency, 1, ready))
        await ready.wait()
        await http.post("/v1/events", headers=admin, json=batch(hoods["Ragheno"], "r-", 2))
        await http.post("/v1/events", headers=admin, json=batch(hoods["Battel"], "bt-", 2))
        seen = await reader
        assert len(seen) == 1 and json.loads(seen[0].data)["neighbourhood_id"] == hoods["Battel"]


@pytest.mark.dialect
async def test_a_later_stream_id_never_commits_before_an_earlier_one(app: FastAPI) -> None:
    # Streams resume by id, so ids must become visible in order: the second writer waits
    # for the first (SQLite: the write lock; PostgreSQL: the ordering advisory lock).
    maker = app.state.sessionmaker
    async with maker() as s:
        municipality = await s.scalar(
            select(Municipality.id).where(Municipality.slug == "mechelen")
        )
    async with maker() as first, maker() as second:
        live.emit(first, municipality, "test.first", {})
        await first.flush()  # its id is drawn; it has not committed

        async def later() -> None:
            live.emit(second, municipality, "test.second", {})
            await second.commit()

        task = asyncio.create_task(later())
        # What a resuming reader sees meanwhile: never the later id without the earlier one
        # (it would resume past the earlier and never receive it).
        for _ in range(10):
            async with maker() as reader:
                seen = (await reader.scalars(select(StreamEvent.type).where(
                    StreamEvent.type.like("test.%")))).all()  # fmt: skip
            assert "test.second" not in seen, "a later id became visible before an earlier one"
            await asyncio.sleep(0.05)
        assert not task.done()
        await first.commit()
        await asyncio.wait_for(task, 10)
    async with maker() as s:
        rows = (await s.execute(select(StreamEvent.type, StreamEvent.id).where(
            StreamEvent.type.like("test.%")).order_by(StreamEvent.id))).all()  # fmt: skip
    assert [r.type for r in rows] == ["test.first", "test.second"]
