"""The two promises under real concurrent requests, on SQLite (one server process) and on
PostgreSQL (two server processes on one database, requests spread over both):

- two moderators (or editors) who saw the same version never both win: one 200, one 412,
  and the version moves once per change that was applied;
- a draft published by 20 racing requests with distinct Idempotency-Keys goes out once: one
  publication, one `message.publish` audit entry, one `message.published` stream event;
- a bulk change racing single changes loses none of them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import DEMO_PASSWORD
from tests.pgserver import free_port
from tests.processes import start_server

PAIRS = 30
PUBLISHERS = 20
PUBLISH_RUNS = 5
BULK_ROUNDS = 3


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """One real server on SQLite; two real server processes on one PostgreSQL."""
    count = 1 if database_url.startswith("sqlite") else 2
    env = {
        **os.environ,
        "BUURT_DATABASE_URL": database_url,
        # Nothing is scheduled here; keep the scheduler from adding its own writes.
        "BUURT_SCHEDULER_INTERVAL_SECONDS": "3600",
    }
    processes = []
    urls = []
    for i in range(count):
        port = free_port()
        processes.append(start_server(env, port, tmp_path / f"server{i}.log"))
        urls.append(f"http://127.0.0.1:{port}")
    yield urls
    for process in processes:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        yield client


async def bearer(http: httpx.AsyncClient, url: str, email: str) -> dict[str, str]:
    answer = await http.post(
        f"{url}/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def scalar(database_url: str, sql: str, **params: Any) -> Any:
    """One value read straight from the database (what was really written)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(text(sql), params)
    finally:
        await engine.dispose()


async def draft(http: httpx.AsyncClient, url: str, headers: dict, title: str) -> dict:
    made = await http.post(
        f"{url}/v1/messages",
        json={"kind": "announcement", "title": {"nl": title}, "body": {"nl": "Tekst."},
              "targets": "all", "action": "draft"},
        headers=headers,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return dict(made.json())


async def open_reports(http: httpx.AsyncClient, url: str, headers: dict, n: int) -> list[dict]:
    page = await http.get(
        f"{url}/v1/submissions",
        params={"status": ["new", "acknowledged"], "limit": n},
        headers=headers,
    )
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert len(items) == n
    return items


@pytest.mark.dialect
async def test_same_if_match_on_a_submission_one_wins(
    servers: list[str], http: httpx.AsyncClient, database_url: str
) -> None:
    a, b = servers[0], servers[-1]
    headers = await bearer(http, a, "moderator@mechelen.demo")
    subs = await open_reports(http, a, headers, PAIRS)

    async def patch(url: str, sub: dict, priority: str) -> httpx.Response:
        return await http.patch(
            f"{url}/v1/submissions/{sub['id']}",
            json={"priority": priority},
            headers={**headers, "If-Match": f'"{sub["version"]}"'},
        )

    pairs = await asyncio.gather(
        *(
            asyncio.gather(patch(a, sub, "urgent"), patch(b, sub, "low"))
            for sub in subs
            if sub["priority"] not in ("urgent", "low")
        )
    )
    assert len(pairs) == PAIRS
    lost = 0
    for sub, (first, second) in zip(subs, pairs, strict=True):
        statuses = sorted([first.status_code, second.status_code])
        if statuses != [200, 412]:
            lost += 1
            continue
        winner = first if first.status_code == 200 else second
        loser = second if winner is first else first
        assert loser.json()["type"] == "/problems/precondition-failed"
        now = (await http.get(f"{a}/v1/submissions/{sub['id']}", headers=headers)).json()
        assert now["version"] == sub["version"] + 1
        assert now["priority"] == winner.json()["priority"]
        changes = [e for e in now["history"] if e["field"] == "priority"]
        assert len(changes) == 1, changes
    assert lost == 0, f"{lost} of {PAIRS} pairs did not end as one 200 and one 412"


@pytest.mark.dialect
async def test_same_if_match_on_a_message_one_wins(
    servers: list[str], http: httpx.AsyncClient
) -> None:
    a, b = servers[0], servers[-1]
    headers = await bearer(http, a, "officer@mechelen.demo")
    drafts = [await draft(http, a, headers, f"Ontwerp {i}") for i in range(PAIRS)]

    async def put(url: str, message: dict, title: str) -> httpx.Response:
        return await http.put(
            f"{url}/v1/messages/{message['id']}",
            json={
                "kind": "announcement",
                "title": {"nl": title},
                "body": {"nl": "Tekst."},
                "targets": "all",
            },
            headers={**headers, "If-Match": f'"{message["version"]}"'},
        )

    pairs = await asyncio.gather(
        *(asyncio.gather(put(a, m, "Eerste"), put(b, m, "Tweede")) for m in drafts)
    )
    lost = 0
    for message, (first, second) in zip(drafts, pairs, strict=True):
        if sorted([first.status_code, second.status_code]) != [200, 412]:
            lost += 1
            continue
        winner = first if first.status_code == 200 else second
        now = (await http.get(f"{a}/v1/messages/{message['id']}", headers=headers)).json()
        assert now["version"] == message["version"] + 1
        assert now["title"] == winner.json()["title"]
    assert lost == 0, f"{lost} of {PAIRS} pairs did not end as one 200 and one 412"


@pytest.mark.dialect
async def test_a_draft_published_by_racing_requests_goes_out_once(
    servers: list[str], http: httpx.AsyncClient, database_url: str
) -> None:
    headers = await bearer(http, servers[0], "officer@mechelen.demo")
    extra_publications = 0
    for run in range(PUBLISH_RUNS):
        message_id = (await draft(http, servers[0], headers, f"Wegenwerken {run}"))["id"]
        answers = await asyncio.gather(
            *(
                http.post(
                    f"{servers[i % len(servers)]}/v1/messages/{message_id}/publish",
                    headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                )
                for i in range(PUBLISHERS)
            )
        )
        statuses = sorted(a.status_code for a in answers)
        published = statuses.count(200)
        extra_publications += published - 1
        assert published == 1, statuses
        # The others are told it is already published; none failed otherwise.
        assert statuses.count(409) == PUBLISHERS - 1, statuses
        for answer in answers:
            if answer.status_code == 409:
                assert answer.json()["type"] == "/problems/invalid-state"
        audits = await scalar(
            database_url,
            "SELECT count(*) FROM audit_log WHERE action = 'message.publish' AND object_id = :id",
            id=str(message_id),
        )
        assert audits == 1
        events = await scalar(
            database_url,
            "SELECT count(*) FROM stream_events WHERE type = 'message.published'"
            " AND CAST(data AS TEXT) LIKE :pattern",
            pattern=f'%"id": {message_id},%',
        )
        assert events == 1
    assert extra_publications == 0


@pytest.mark.slow
@pytest.mark.dialect
async def test_bulk_racing_single_changes_loses_none(
    servers: list[str], http: httpx.AsyncClient
) -> None:
    a, b = servers[0], servers[-1]
    headers = await bearer(http, a, "moderator@mechelen.demo")

    async def single(sub: dict, delay: float) -> httpx.Response:
        # Spread over the bulk change's run, so some land while it holds its rows.
        await asyncio.sleep(delay)
        return await http.patch(
            f"{b}/v1/submissions/{sub['id']}",
            json={"priority": "urgent" if sub["priority"] != "urgent" else "low"},
            headers={**headers, "If-Match": f'"{sub["version"]}"'},
        )

    for round_ in range(BULK_ROUNDS):
        subs = await open_reports(http, a, headers, 40)
        bulk, *singles = await asyncio.gather(
            http.post(
                f"{a}/v1/submissions/bulk",
                json={"ids": [s["id"] for s in subs], "changes": {"department": f"Bulk {round_}"}},
                headers=headers,
            ),
            *(single(s, i * 0.004) for i, s in enumerate(subs)),
        )
        assert bulk.status_code == 200, bulk.text
        assert bulk.json()["succeeded"] == len(subs)
        for sub, answer in zip(subs, singles, strict=True):
            assert answer.status_code in (200, 412), answer.text
            now = (await http.get(f"{a}/v1/submissions/{sub['id']}", headers=headers)).json()
            applied = 1 + (answer.status_code == 200)
            # Every change answered 200 is there, and each moved the version once.
            assert now["version"] == sub["version"] + applied, (sub["id"], answer.status_code)
            assert now["department"] == f"Bulk {round_}"
            wanted = answer.json()["priority"] if answer.status_code == 200 else sub["priority"]
            assert now["priority"] == wanted
