"""SQLite has one writer at a time: the writers of a process queue in order (server.db), and
a write that fails hands the turn on, so nothing waits behind it."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from server import db
from server.app import create_app
from server.settings import Settings
from tests.conftest import TEST_CLIENT, assert_problem, auth_headers


@pytest.fixture
async def sqlite_app(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[FastAPI]:
    shutil.copy(sqlite_template, tmp_path / "writes.db")
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'writes.db'}",
                              scheduler_enabled=False))  # fmt: skip
    yield app
    await app.state.engine.dispose()


def queue_of(app: FastAPI) -> asyncio.Lock:
    return db._write_queues[app.state.engine.sync_engine]


async def test_concurrent_writers_queue_and_a_failed_one_hands_on(sqlite_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=sqlite_app, client=TEST_CLIENT)
    async with httpx.AsyncClient(transport=transport, base_url="http://buurt.test") as client:
        headers = await auth_headers(client, "moderator@mechelen.demo")
        page = (await client.get("/v1/submissions", headers=headers, params={"limit": 20})).json()
        subs = page["items"]

        async def note(sub: dict, n: int) -> int:
            answer = await client.post(
                f"/v1/submissions/{sub['id']}/notes", headers=headers, json={"text": f"noot {n}"}
            )
            return answer.status_code

        codes = await asyncio.gather(*(note(sub, n) for n, sub in enumerate(subs * 3)))
        assert codes == [200] * len(subs) * 3
        assert not queue_of(sqlite_app).locked()
        # A write refused halfway (the transaction had begun) leaves the queue free.
        sub = subs[0]
        current = (await client.get(f"/v1/submissions/{sub['id']}", headers=headers)).json()
        stale = await client.patch(
            f"/v1/submissions/{sub['id']}", headers={**headers, "If-Match": '"999"'},
            json={"priority": "urgent"},
        )  # fmt: skip
        assert_problem(stale, 412, "precondition-failed")
        assert not queue_of(sqlite_app).locked()
        fresh = await client.patch(
            f"/v1/submissions/{sub['id']}",
            headers={**headers, "If-Match": f'"{current["version"]}"'}, json={"priority": "urgent"},
        )  # fmt: skip
        assert fresh.status_code == 200
        assert not queue_of(sqlite_app).locked()
