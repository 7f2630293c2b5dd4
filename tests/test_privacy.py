"""What a token or an account reaches, and what reaches staff at all: an API token only the
routes its scopes name, the live stream only what its reader may read elsewhere, topics only
from the fixed vocabulary, search words taken literally, an agency's "all" stored as the
neighbourhoods it reached."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from httpx_sse import aconnect_sse

import config
from tests.conftest import auth_headers, sign_in
from tests.live import LiveServer


async def api_token(client: httpx.AsyncClient, email: str, scopes: list[str]) -> dict[str, str]:
    access = (await sign_in(client, email))["access_token"]
    created = await client.post(
        "/v1/tokens",
        headers={"Authorization": f"Bearer {access}"},
        json={"name": f"probe {uuid.uuid4().hex[:6]}", "scopes": scopes},
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


async def test_an_events_token_reads_no_message_neighbourhood_or_reach(
    client: httpx.AsyncClient,
) -> None:
    officer = await auth_headers(client, "officer@mechelen.demo")
    draft = await client.post(
        "/v1/messages",
        headers=officer,
        json={"kind": "announcement", "title": {"nl": "Geheim ontwerp"}, "body": {"nl": "x"},
              "targets": "all", "action": "draft"},
    )  # fmt: skip
    assert draft.status_code == 201
    resident_side = await api_token(client, "admin@mechelen.demo", ["events:write"])
    for method, path, body in [
        ("GET", f"/v1/messages/{draft.json()['id']}", None),
        ("GET", "/v1/messages", None),
        ("GET", "/v1/neighbourhoods", None),
        ("GET", "/v1/neighbourhoods/1", None),
        ("POST", "/v1/messages/reach", {"targets": "all"}),
        ("GET", "/v1/stats/overview", None),
        ("GET", "/v1/submissions", None),
    ]:
        response = await client.request(method, path, headers=resident_side, json=body)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["type"] == "/problems/missing-scope"
        assert "Geheim" not in response.text
    # What it is for still works.
    assert (await client.get("/v1/me", headers=resident_side)).status_code == 200


async def test_a_read_only_message_token_reads_but_never_publishes(
    client: httpx.AsyncClient,
) -> None:
    reader = await api_token(client, "officer@mechelen.demo", ["messages:read"])
    assert (await client.get("/v1/messages", headers=reader)).status_code == 200
    assert (await client.get("/v1/neighbourhoods", headers=reader)).status_code == 200
    publish = await client.post(
        "/v1/messages",
        headers={**reader, "Idempotency-Key": uuid.uuid4().hex},
        json={"kind": "announcement", "title": {"nl": "t"}, "body": {"nl": "b"},
              "targets": "all", "action": "publish"},
    )  # fmt: skip
    assert publish.status_code == 403
    assert publish.json()["type"] == "/problems/missing-scope"


async def test_topics_come_from_the_vocabulary(client: httpx.AsyncClient) -> None:
    sender = await api_token(client, "admin@mechelen.demo", ["events:write", "stats:read"])
    hood = (await client.get("/v1/neighbourhoods", headers=sender)).json()["items"][0]["id"]
    now = datetime.now(UTC).isoformat()
    words = "canarypost_buurman_nr12_steelt_fietsen"
    known = sorted(config.topics())[0]
    answer = await client.post(
        "/v1/events",
        headers=sender,
        json={"events": [
            {"id": "t1", "type": "post", "topic": words, "household": "h1",
             "neighbourhood_id": hood, "at": now},
            {"id": "t2", "type": "post", "topic": known, "household": "h2",
             "neighbourhood_id": hood, "at": now},
        ]},
    )  # fmt: skip
    result = answer.json()
    assert result["accepted"] == 1
    assert [r["index"] for r in result["rejected"]] == [0]
    assert "vocabulary" in result["rejected"][0]["reason"]
    overview = (await client.get("/v1/stats/overview", headers=sender)).json()
    assert words not in str(overview)
    assert overview["topics"].get(known, 0) >= 1
    # Every topic has a label in each language of the console.
    for code, labels in config.topics().items():
        assert set(labels) == {"nl", "fr", "en"}, code


@pytest.mark.dialect
async def test_search_words_are_taken_literally(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, "officer@mechelen.demo")
    everything = (await client.get("/v1/neighbourhoods", headers=headers)).json()["items"]
    assert everything
    for wildcard in ("%", "_", "%a%"):
        found = await client.get("/v1/neighbourhoods", headers=headers, params={"q": wildcard})
        assert found.status_code == 200
        assert found.json()["items"] == [], wildcard
    name = everything[0]["name"]
    found = await client.get("/v1/neighbourhoods", headers=headers, params={"q": name[1:4]})
    assert name in [n["name"] for n in found.json()["items"]]


async def test_an_agencys_all_is_stored_as_its_neighbourhoods(client: httpx.AsyncClient) -> None:
    agency = await auth_headers(client, "werf@mechelen.demo")
    own = (await client.get("/v1/neighbourhoods", headers=agency)).json()["items"]
    made = await client.post(
        "/v1/messages",
        headers=agency,
        json={"kind": "announcement", "title": {"nl": "Werf"}, "body": {"nl": "x"},
              "targets": "all", "action": "draft"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    shown = (await client.get(f"/v1/messages/{made.json()['id']}", headers=agency)).json()
    assert shown["targets"] == sorted(n["id"] for n in own)
    assert shown["target_names"] == sorted(n["name"] for n in own)


async def collect(http: httpx.AsyncClient, token: str, ready: asyncio.Event) -> list[str]:
    """The event types one stream receives in 4 s."""
    seen: list[str] = []

    async def run() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with aconnect_sse(http, "GET", "/v1/stream", headers=headers) as source:
            ready.set()
            async for event in source.aiter_sse():
                if event.event:
                    seen.append(event.event)

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(run(), 4)
    return seen


@pytest.mark.slow
async def test_the_stream_carries_only_what_its_reader_may_read(own_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=own_server.url, timeout=10) as http:
        tokens = {
            email: (await sign_in(http, email))["access_token"]
            for email in ("werf@mechelen.demo", "moderator@mechelen.demo")
        }
        werf = {"Authorization": f"Bearer {tokens['werf@mechelen.demo']}"}
        moderator = {"Authorization": f"Bearer {tokens['moderator@mechelen.demo']}"}
        werf_hoods = {
            n["id"] for n in (await http.get("/v1/neighbourhoods", headers=werf)).json()["items"]
        }
        reports = (
            await http.get("/v1/submissions", headers=moderator, params={"limit": 200})
        ).json()
        report = next(s for s in reports["items"] if s["neighbourhood_id"] in werf_hoods)
        ready = [asyncio.Event(), asyncio.Event()]
        readers = [
            asyncio.create_task(collect(http, tokens["werf@mechelen.demo"], ready[0])),
            asyncio.create_task(collect(http, tokens["moderator@mechelen.demo"], ready[1])),
        ]
        for event in ready:
            await event.wait()
        note = await http.post(
            f"/v1/submissions/{report['id']}/notes", headers=moderator, json={"text": "Bekeken"}
        )
        assert note.status_code == 200
        published = await http.post(
            "/v1/messages",
            headers={**werf, "Idempotency-Key": uuid.uuid4().hex},
            json={"kind": "announcement", "title": {"nl": "Werfnieuws"}, "body": {"nl": "x"},
                  "targets": "all", "action": "publish"},
        )  # fmt: skip
        assert published.status_code == 201, published.text
        werf_saw, moderator_saw = await asyncio.gather(*readers)
    assert "submission.updated" in moderator_saw
    assert "message.published" in werf_saw
    # The inbox is a 403 for a communicator-only account: so are its events.
    assert not [t for t in werf_saw if t.startswith("submission.")], werf_saw
