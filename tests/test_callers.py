"""The cache of callers (server/callers.py) keeps its bound: a revocation made through this
instance works on the next request, one made through another instance within
`caller_cache_seconds`; what a cached caller does is what an uncached one does."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from server import callers, clock
from server.models import ApiToken, AuthSession, StaffAccount
from server.security import token_hash
from tests.conftest import DEMO_PASSWORD, assert_problem, auth_headers
from tests.conftest import sign_in as sign_in_here
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


@pytest.mark.slow
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


@pytest.mark.dialect
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

    from server import callers
    from server.models import StaffAccount

    reading = asyncio.Event()
    revoked = asyncio.Event()

    async def fetch() -> callers.Caller:
        reading.set()
        await revoked.wait()  # the database answered before the commit landed
        return callers.Caller(
            account=StaffAccount(id=1), roles=frozenset({"admin"}), scopes=None, session_id=1,
            api_token_id=None, expires_at=now, read_at=now, until=now + timedelta(seconds=60),
        )  # fmt: skip

    now = datetime.now(UTC)
    task = asyncio.create_task(callers.shared("db", "digest", fetch))
    await reading.wait()
    callers.clear()  # what the revoking commit does
    revoked.set()
    assert (await task).roles == {"admin"}
    assert callers.get("db", "digest", now) is None


# -- the bound, by the server's clock (server/clock.py), in this process ----------------------

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
OFFICER = "officer@mechelen.demo"


async def elsewhere(app: FastAPI, statement: object) -> None:
    """A change committed as another process would: a connection of its own, outside any
    ORM session, so nothing in this process hears of it (a second worker, `buurt-server`)."""
    async with app.state.engine.begin() as connection:
        await connection.execute(statement)


async def here(app: FastAPI, statement: object) -> None:
    """The same change committed through an ORM session of this process (as the routes and
    services do)."""
    async with app.state.sessionmaker() as session:
        await session.execute(statement)
        await session.commit()


async def signed_in_with_a_token(client: httpx.AsyncClient) -> tuple[dict, dict, dict]:
    """The officer's person headers, an API token of theirs and its headers."""
    person = await auth_headers(client, OFFICER)
    made = await client.post(
        "/v1/tokens", headers=person, json={"name": "cron", "scopes": ["stats:read"]}
    )
    assert made.status_code == 201, made.text
    return person, made.json(), {"Authorization": f"Bearer {made.json()['token']}"}


def _revoke_token(token: dict) -> object:
    return update(ApiToken).where(ApiToken.id == token["id"]).values(revoked_at=START)


def _end_sessions(_token: dict) -> object:
    return update(AuthSession).values(revoked_at=START, revoked_reason="logout")


def _disable(_token: dict) -> object:
    return update(StaffAccount).where(StaffAccount.email == OFFICER).values(active=False)


CHANGES: dict[str, tuple[Callable[[dict], object], str]] = {
    # what is changed, and which of the two callers (person or API token) it ends
    "revoked API token": (_revoke_token, "token"),
    "signed-out session": (_end_sessions, "person"),
    "disabled account (person)": (_disable, "person"),
    "disabled account (API token)": (_disable, "token"),
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_a_change_elsewhere_ends_access_within_the_bound(
    client: httpx.AsyncClient, app: FastAPI, change: str
) -> None:
    """Another process's change is not heard here: the cached caller answers until the
    bound (caller_cache_seconds) has passed by the clock, then the database refuses it."""
    bound = app.state.settings.caller_cache_seconds
    assert 0 < bound <= 5
    make, whose = CHANGES[change]
    with clock.fixed(START):
        person, token, script = await signed_in_with_a_token(client)
        headers = person if whose == "person" else script
        assert (await client.get("/v1/me", headers=headers)).status_code == 200  # kept now
        await elsewhere(app, make(token))
    for held in (0.0, bound / 2, bound - 0.001):
        with clock.fixed(START + timedelta(seconds=held)):
            still = await client.get("/v1/me", headers=headers)
            assert still.status_code == 200, f"{held} s: the cache was not used"
    with clock.fixed(START + timedelta(seconds=bound)):
        assert_problem(await client.get("/v1/me", headers=headers), 401, "invalid-token")


async def test_a_role_changed_elsewhere_holds_for_the_bound_only(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    bound = app.state.settings.caller_cache_seconds
    with clock.fixed(START):
        headers = await auth_headers(client, OFFICER)
        before = (await client.get("/v1/me", headers=headers)).json()["roles"]
        assert "communicator" in before
        await elsewhere(
            app,
            update(StaffAccount).where(StaffAccount.email == OFFICER).values(roles=["analyst"]),
        )
    with clock.fixed(START + timedelta(seconds=bound - 0.001)):
        assert (await client.get("/v1/me", headers=headers)).json()["roles"] == before
    with clock.fixed(START + timedelta(seconds=bound)):
        assert (await client.get("/v1/me", headers=headers)).json()["roles"] == ["analyst"]
        publish = await client.post(
            "/v1/messages", headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            json={"kind": "announcement", "title": {"nl": "Te laat"}, "body": {"nl": "Nee."},
                  "targets": "all", "action": "publish"},
        )  # fmt: skip
        assert_problem(publish, 403, "missing-role")


@pytest.mark.parametrize("change", [*CHANGES, "changed role"])
async def test_the_same_change_made_here_works_on_the_next_request(
    client: httpx.AsyncClient, app: FastAPI, change: str
) -> None:
    """Committed through this process, a change clears the cache at once: the clock does not
    move at all between the change and the refusal."""
    with clock.fixed(START):
        person, token, script = await signed_in_with_a_token(client)
        if change == "changed role":
            assert (await client.get("/v1/me", headers=person)).json()["roles"] != ["analyst"]
            await here(
                app,
                update(StaffAccount).where(StaffAccount.email == OFFICER).values(roles=["analyst"]),
            )
            assert (await client.get("/v1/me", headers=person)).json()["roles"] == ["analyst"]
            return
        make, whose = CHANGES[change]
        headers = person if whose == "person" else script
        assert (await client.get("/v1/me", headers=headers)).status_code == 200
        await here(app, make(token))
        assert_problem(await client.get("/v1/me", headers=headers), 401, "invalid-token")


async def test_an_expired_token_ends_on_time_though_cached(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Expiry is checked against the clock on every request: a caller kept a moment before
    its token expires is refused at the instant it does, by the cache, not the database."""
    with clock.fixed(START):
        tokens = await sign_in_here(client, OFFICER)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    expires = START + timedelta(seconds=app.state.settings.access_token_ttl_seconds)
    with clock.fixed(expires - timedelta(milliseconds=1)):
        assert (await client.get("/v1/me", headers=headers)).status_code == 200  # kept
        assert callers.get(
            str(app.state.engine.url), token_hash(tokens["access_token"]), clock.now()
        )
    with clock.fixed(expires):
        body = assert_problem(await client.get("/v1/me", headers=headers), 401, "invalid-token")
        assert body["expired"] is True
    # An API token's own expiry likewise.
    with clock.fixed(START):
        person = {
            "Authorization": f"Bearer {(await sign_in_here(client, OFFICER))['access_token']}"
        }
        made = (await client.post("/v1/tokens", headers=person,
                                  json={"name": "day", "scopes": ["stats:read"],
                                        "expires_in_days": 1})).json()  # fmt: skip
    script = {"Authorization": f"Bearer {made['token']}"}
    with clock.fixed(START + timedelta(days=1, milliseconds=-1)):
        assert (await client.get("/v1/me", headers=script)).status_code == 200
    with clock.fixed(START + timedelta(days=1)):
        body = assert_problem(await client.get("/v1/me", headers=script), 401, "invalid-token")
        assert body["expired"] is True


async def test_entries_are_keyed_by_the_tokens_hash(client: httpx.AsyncClient) -> None:
    tokens = await sign_in_here(client, OFFICER)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/v1/me", headers=headers)).status_code == 200
    keys = [digest for _database, digest in callers._entries]
    assert token_hash(tokens["access_token"]) in keys
    assert not any(tokens["access_token"] in key for key in keys)


def test_an_entry_read_after_now_is_not_fresh() -> None:
    """A clock set back (NTP) never makes an entry live longer than the bound."""
    read = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
    entry = callers.Caller(
        account=StaffAccount(id=1), roles=frozenset(), scopes=None, session_id=1,
        api_token_id=None, expires_at=None, read_at=read, until=read + timedelta(seconds=2),
    )  # fmt: skip
    assert entry.fresh(read) and entry.fresh(read + timedelta(seconds=1.999))
    assert not entry.fresh(read + timedelta(seconds=2))
    assert not entry.fresh(read - timedelta(seconds=1))
