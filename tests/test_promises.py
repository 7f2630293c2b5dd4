"""What README.md promises and no other test checked: message views fed by events, the
5,000-event batch limit, the clean-up of stream events (24 h) and idempotency keys (48 h),
Open311's 90-day window, its service_code filter and the placement of a report in the
nearest neighbourhood, the stream's heartbeats and unbuffered headers."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from server.models import IdempotencyKey, Neighbourhood, Organisation, StreamEvent, Submission
from server.services import idempotency, live
from tests.conftest import DEMO_PASSWORD, auth_headers
from tests.live import LiveServer
from tests.test_open311 import BASE, form, open311_key

ADMIN = "admin@mechelen.demo"


@pytest.fixture
def own_server_fast_heartbeat(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    shutil.copy(sqlite_template, tmp_path / "beat.db")
    server = LiveServer(tmp_path / "beat.db", stream_heartbeat_seconds=0.3)
    server.start()
    yield server
    server.stop()


@pytest.mark.dialect
async def test_message_views_and_survey_responses_come_from_events(
    client: httpx.AsyncClient,
) -> None:
    officer = await auth_headers(client, "officer@mechelen.demo")
    made = await client.post(
        "/v1/messages",
        headers={**officer, "Idempotency-Key": uuid.uuid4().hex},
        json={"kind": "announcement", "title": {"nl": "Gelezen?"}, "body": {"nl": "x"},
              "targets": "all", "action": "publish"},
    )  # fmt: skip
    message = made.json()
    assert message["views"] == 0
    admin = await auth_headers(client, ADMIN)
    hood = (await client.get("/v1/neighbourhoods", headers=admin)).json()["items"][0]["id"]
    now = datetime.now(UTC).isoformat()
    events = [
        {"id": f"view-{i}", "type": "message_view", "household": f"v{i}", "neighbourhood_id": hood,
         "at": now, "message_id": message["id"]}
        for i in range(7)
    ] + [
        {"id": f"resp-{i}", "type": "survey_response", "household": f"v{i}",
         "neighbourhood_id": hood, "at": now, "message_id": message["id"]}
        for i in range(2)
    ]  # fmt: skip
    sent = await client.post("/v1/events", headers=admin, json={"events": events})
    assert sent.json()["accepted"] == 9
    # Sent again (a retry): counted once.
    await client.post("/v1/events", headers=admin, json={"events": events})
    after = (await client.get(f"/v1/messages/{message['id']}", headers=officer)).json()
    # Two answers: under 5, held back (they could be one neighbourhood's), as in the results.
    assert after["views"] == 7 and after["survey_responses"] is None
    more = [
        {"id": f"resp-{i}", "type": "survey_response", "household": f"w{i}",
         "neighbourhood_id": hood, "at": now, "message_id": message["id"]}
        for i in range(2, 5)
    ]  # fmt: skip
    await client.post("/v1/events", headers=admin, json={"events": more})
    after = (await client.get(f"/v1/messages/{message['id']}", headers=officer)).json()
    assert after["survey_responses"] == 5
    # Views do not move the version: an editor's If-Match stays good.
    assert after["version"] == message["version"]


@pytest.mark.dialect
async def test_a_batch_holds_at_most_5000_events(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(client, ADMIN)
    hood = (await client.get("/v1/neighbourhoods", headers=admin)).json()["items"][0]["id"]
    now = datetime.now(UTC).isoformat()

    def batch(n: int, prefix: str) -> dict:
        return {"events": [{"id": f"{prefix}{i}", "type": "reaction", "household": "h",
                            "neighbourhood_id": hood, "at": now} for i in range(n)]}  # fmt: skip

    too_many = await client.post("/v1/events", headers=admin, json=batch(5001, "big"))
    assert too_many.status_code == 422
    assert too_many.json()["type"] == "/problems/validation"
    full = await client.post("/v1/events", headers=admin, json=batch(5000, "full"))
    assert full.status_code == 200 and full.json()["accepted"] == 5000


@pytest.mark.dialect
async def test_stream_events_are_kept_a_day_and_keys_two(app: FastAPI) -> None:
    """The next days: events older than 24 h and keys older than 48 h are forgotten, newer
    ones kept (a client resumes within a day; a script retries within two)."""
    maker = app.state.sessionmaker
    now = datetime.now(UTC)
    async with maker() as session:
        municipality = await session.scalar(select(Neighbourhood.municipality_id))
        org = await session.scalar(select(Organisation.id))
        for hours in (1, 23, 25, 47, 49):
            session.add(StreamEvent(municipality_id=municipality, type=f"test.{hours}h", data={},
                                    at=now - timedelta(hours=hours)))  # fmt: skip
            session.add(IdempotencyKey(organisation_id=org, key=f"k{hours}", request_hash="x",
                                       status_code=201, response={},
                                       created_at=now - timedelta(hours=hours)))  # fmt: skip
        await session.commit()
    async with maker() as session:
        await live.purge(session)
    async with maker() as session:
        await idempotency.purge(session)
    async with maker() as session:
        events = set(
            await session.scalars(select(StreamEvent.type).where(StreamEvent.type.like("test.%")))
        )
        keys = set(
            await session.scalars(select(IdempotencyKey.key).where(IdempotencyKey.key.like("k%")))
        )
    assert events == {"test.1h", "test.23h"}
    assert keys == {"k1", "k23", "k25", "k47"}


@pytest.mark.dialect
async def test_open311_window_filter_and_placement(client: httpx.AsyncClient, app: FastAPI) -> None:
    key = await open311_key(client)
    # A few tens of metres from one neighbourhood's point: placed in that neighbourhood.
    async with app.state.sessionmaker() as session:
        hoods = (
            await session.execute(
                select(Neighbourhood.id, Neighbourhood.lat, Neighbourhood.lon)
                .where(Neighbourhood.lat.is_not(None))
                .order_by(Neighbourhood.id)
            )
        ).all()
    target = hoods[3]
    placed = await client.post(
        f"{BASE}/requests.json",
        data=form(key, lat=str(target.lat + 0.0005), long=str(target.lon - 0.0005),
                  service_code="street-light", description="Lamp kapot."),
    )  # fmt: skip
    request_id = placed.json()[0]["service_request_id"]
    async with app.state.sessionmaker() as session:
        stored = await session.get(Submission, request_id)
        assert stored is not None and stored.neighbourhood_id == target.id
        # A report of four months ago: outside the default 90-day window.
        await session.execute(
            update(Submission)
            .where(Submission.id == request_id)
            .values(created_at=datetime.now(UTC) - timedelta(days=120))
        )
        await session.commit()
    juris = {"jurisdiction_id": "mechelen"}
    recent = (await client.get(f"{BASE}/requests.json", params=juris)).json()
    assert request_id not in [r["service_request_id"] for r in recent]
    since = (datetime.now(UTC) - timedelta(days=125)).isoformat()
    until = (datetime.now(UTC) - timedelta(days=100)).isoformat()
    old = (
        await client.get(
            f"{BASE}/requests.json", params={**juris, "start_date": since, "end_date": until}
        )
    ).json()
    assert [r["service_request_id"] for r in old] == [request_id]
    too_wide = await client.get(
        f"{BASE}/requests.json",
        params={**juris, "start_date": since, "end_date": datetime.now(UTC).isoformat()},
    )
    assert too_wide.status_code == 400
    lights = (
        await client.get(f"{BASE}/requests.json", params={**juris, "service_code": "street-light"})
    ).json()
    assert lights and {r["service_code"] for r in lights} == {"street-light"}
    both = (
        await client.get(
            f"{BASE}/requests.json",
            params={**juris, "service_code": "street-light,illegal-dumping"},
        )
    ).json()
    assert {r["service_code"] for r in both} <= {"street-light", "illegal-dumping"}
    assert len(both) >= len(lights)
    async with app.state.sessionmaker() as session:
        total = await session.scalar(select(func.count()).select_from(Submission))
    assert total and len(recent) < total


def test_an_idle_stream_sends_heartbeats_unbuffered(own_server_fast_heartbeat: LiveServer) -> None:
    url = own_server_fast_heartbeat.url
    token = httpx.post(
        f"{url}/v1/auth/token", json={"email": ADMIN, "password": DEMO_PASSWORD}
    ).json()["access_token"]
    lines: list[str] = []
    with httpx.stream(
        "GET", f"{url}/v1/stream", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        # A proxy must not hold events back, nor a cache keep them.
        assert response.headers["x-accel-buffering"] == "no"
        assert response.headers["cache-control"] == "no-cache"
        for line in response.iter_lines():
            lines.append(line)
            if line.startswith(": heartbeat"):
                break
    # The opening block: where the stream starts, and how long to wait before reconnecting.
    assert lines[0].startswith("id: ") and lines[1] == "retry: 3000" and lines[2] == ""
    assert lines[-1] == ": heartbeat"
