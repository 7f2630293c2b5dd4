"""The cache of callers (server/callers.py) keeps its bound: a revocation made through this
instance works on the next request, one made through another instance within
`caller_cache_seconds`; what a cached caller does is what an uncached one does."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import DEMO_PASSWORD, auth_headers
from tests.live import LiveServer
from tests.pgserver import free_port
from tests.processes import start_server

BOUND = 2.0  # the default caller_cache_seconds


def sign_in(url: str, email: str = "admin@mechelen.demo") -> dict:
    answer = httpx.post(f"{url}/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    answer.raise_for_status()
    return answer.json()


def test_revoked_here_is_refused_on_the_next_request(own_server: LiveServer) -> None:
    url = own_server.url
    tokens = sign_in(url)
    person = {"Authorization": f"Bearer {tokens['access_token']}"}
    made = httpx.post(
        f"{url}/v1/tokens", headers=person, json={"name": "cron", "scopes": ["stats:read"]}
    ).json()
    script = {"Authorization": f"Bearer {made['token']}"}
    for _ in range(3):  # resolved once, then from the cache
        assert httpx.get(f"{url}/v1/me", headers=script).status_code == 200
    assert httpx.delete(f"{url}/v1/tokens/{made['id']}", headers=person).status_code == 204
    assert httpx.get(f"{url}/v1/me", headers=script).status_code == 401
    # Signing out ends the access token at once too, cached as it was.
    assert httpx.get(f"{url}/v1/me", headers=person).status_code == 200
    out = httpx.post(f"{url}/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    assert httpx.get(f"{url}/v1/me", headers=person).status_code == 401


def test_a_cached_caller_writes_as_itself(own_server: LiveServer) -> None:
    """Requests answered from the cache see the same account and may write as it."""
    url = own_server.url
    auth = {"Authorization": f"Bearer {sign_in(url, 'officer@mechelen.demo')['access_token']}"}
    first = httpx.get(f"{url}/v1/me", headers=auth).json()
    again = httpx.get(f"{url}/v1/me", headers=auth).json()
    assert first == again and first["organisation"]["municipality"]["timezone"]
    with httpx.Client(base_url=url, headers=auth) as http:
        for i in range(3):
            sent = http.post(
                "/v1/messages",
                headers={"Idempotency-Key": uuid.uuid4().hex},
                json={"kind": "announcement", "title": {"nl": f"Cache {i}"},
                      "body": {"nl": "Tekst."}, "targets": "all", "action": "publish"},
            )  # fmt: skip
            assert sent.status_code == 201, sent.text
            assert sent.json()["author_name"] == first["name"]


def test_revoked_on_another_instance_is_refused_within_the_bound(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = tmp_path / "two.db"
    shutil.copy(sqlite_template, database)
    env = {**os.environ, "BUURT_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    ports = [free_port(), free_port()]
    servers = [start_server(env, port, tmp_path / f"s{i}.log") for i, port in enumerate(ports)]
    a, b = (f"http://127.0.0.1:{port}" for port in ports)
    try:
        tokens = sign_in(a)
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert httpx.get(f"{b}/v1/me", headers=auth).status_code == 200  # cached on B
        signed_out = time.monotonic()
        httpx.post(f"{a}/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
        while httpx.get(f"{b}/v1/me", headers=auth).status_code == 200:
            assert time.monotonic() - signed_out < BOUND + 0.5, "B kept the token too long"
            time.sleep(0.05)
        # A stream never opens on it, even inside the bound: streams ask the database.
        tokens = sign_in(a)
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert httpx.get(f"{b}/v1/me", headers=auth).status_code == 200
        httpx.post(f"{a}/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
        with httpx.stream("GET", f"{b}/v1/stream", headers=auth, timeout=5) as response:
            assert response.status_code == 401
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)


async def test_requests_that_miss_together_ask_once(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst with a token not yet known (or whose entry just lapsed) is one query, not one
    per request: the rest wait for it (p99 under load went from 288 to 67 ms)."""
    import asyncio

    from server.services import auth

    asked = 0
    real = auth._resolve

    async def counting(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        nonlocal asked
        asked += 1
        await asyncio.sleep(0.05)  # a slow database: the others arrive meanwhile
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(auth, "_resolve", counting)
    headers = await auth_headers(client, "officer@mechelen.demo")
    answers = await asyncio.gather(*(client.get("/v1/me", headers=headers) for _ in range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert len({a.json()["email"] for a in answers}) == 1
    assert asked == 1


async def test_a_caller_read_before_a_revocation_is_not_kept_after_it() -> None:
    """A resolution in flight while a change to who may call is committed: its answer serves
    the requests that waited for it, but is not kept for later ones."""
    import asyncio
    from datetime import UTC, datetime

    from server import callers
    from server.models import StaffAccount

    reading = asyncio.Event()
    revoked = asyncio.Event()

    async def fetch() -> callers.Caller:
        reading.set()
        await revoked.wait()  # the database answered before the commit landed
        return callers.Caller(
            account=StaffAccount(id=1), roles=frozenset({"admin"}), scopes=None, session_id=1,
            api_token_id=None, expires_at=datetime.now(UTC), until=time.monotonic() + 60,
        )  # fmt: skip

    task = asyncio.create_task(callers.shared("db", "digest", fetch))
    await reading.wait()
    callers.clear()  # what the revoking commit does
    revoked.set()
    assert (await task).roles == {"admin"}
    assert callers.get("db", "digest") is None
