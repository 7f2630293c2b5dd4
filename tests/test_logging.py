"""One logging setup: text or JSON lines with time, level and logger; access lines with
method, path, status, duration and a request id (returned as X-Request-ID, believed from a
trusted proxy only); a database outage is one warning and one line when it ends."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from server import logs
from server.app import create_app
from server.settings import Settings
from tests.conftest import DEMO_PASSWORD
from tests.pgserver import PostgresServer, free_port
from tests.processes import start_server

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def record(message: str = "hello %s", *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("buurt.test", logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def test_text_and_json_lines() -> None:
    text = logs.TextFormatter().format(record("hello %s", "world", request_id="r-1"))
    stamp, level, logger, rest = text.split(" ", 3)
    assert ISO.match(stamp) and level == "WARNING" and logger == "buurt.test:"
    assert rest == "hello world request_id=r-1"

    access = record(
        "GET /v1/me 200",
        method="GET",
        path="/v1/me?q=[redacted]",
        status=200,
        duration_ms=1.5,
        client="203.0.113.7",
        request_id="abc",
    )
    line = json.loads(logs.JsonFormatter().format(access))
    assert ISO.match(line.pop("time"))
    assert line == {
        "level": "WARNING",
        "logger": "buurt.test",
        "message": "GET /v1/me 200",
        "method": "GET",
        "path": "/v1/me?q=[redacted]",
        "status": 200,
        "duration_ms": 1.5,
        "client": "203.0.113.7",
        "request_id": "abc",
    }
    try:
        raise ValueError("boom")
    except ValueError:
        failed = record("failed")
        failed.exc_info = sys.exc_info()
    crashed = json.loads(logs.JsonFormatter().format(failed))
    assert "Traceback (most recent call last)" in crashed["exception"]
    assert "\n" not in logs.JsonFormatter().format(failed)  # one line


@pytest.fixture
async def sqlite_app(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[FastAPI]:
    shutil.copy(sqlite_template, tmp_path / "buurt.db")
    application = create_app(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'buurt.db'}", scheduler_enabled=False
        )
    )
    yield application
    await application.state.engine.dispose()


def client_of(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://buurt.test")


async def test_request_ids_and_access_lines(
    sqlite_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="buurt.access")
    # A client on the internet cannot choose the id the log gives its request.
    async with client_of(sqlite_app, "203.0.113.7") as internet:
        answer = await internet.get("/v1/me", headers={"X-Request-ID": "chosen-by-client"})
        assert answer.status_code == 401
        assert HEX_ID.match(answer.headers["x-request-id"])
        searched = await internet.get(
            "/v1/neighbourhoods",
            params={"q": "Jan Peeters"},
            headers={"X-Forwarded-For": "198.51.100.1"},
        )
    # The proxy on 127.0.0.1 (trusted by default) names the request and the client.
    async with client_of(sqlite_app, "127.0.0.1") as proxy:
        named = await proxy.get(
            "/v1/me", headers={"X-Request-ID": "nginx.4f2A_9-x", "X-Forwarded-For": "198.51.100.2"}
        )
        assert named.headers["x-request-id"] == "nginx.4f2A_9-x"
        for insane in ("a" * 65, "two words", "semi;colon", "\xe9".encode("latin-1")):
            made = await proxy.get("/healthz", headers={"X-Request-ID": insane})
            assert HEX_ID.match(made.headers["x-request-id"]), insane
    lines = {r.request_id: r for r in caplog.records if r.name == "buurt.access"}  # type: ignore[attr-defined]
    first = lines[answer.headers["x-request-id"]]
    assert (first.method, first.path, first.status, first.client) == (  # type: ignore[attr-defined]
        "GET",
        "/v1/me",
        401,
        "203.0.113.7",
    )
    assert isinstance(first.duration_ms, float) and first.duration_ms >= 0  # type: ignore[attr-defined]
    assert "chosen-by-client" not in caplog.text
    searching = lines[searched.headers["x-request-id"]]
    assert searching.path == "/v1/neighbourhoods?q=[redacted]"  # type: ignore[attr-defined]
    assert searching.client == "203.0.113.7"  # an untrusted peer's X-Forwarded-For is ignored  # type: ignore[attr-defined]
    assert "Jan" not in caplog.text
    assert lines["nginx.4f2A_9-x"].client == "198.51.100.2"  # type: ignore[attr-defined]
    # Health checks that pass are DEBUG lines (a load balancer asks every few seconds).
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.path == "/healthz")  # type: ignore[attr-defined]


async def test_proxy_settings(sqlite_template: Path, tmp_path: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "buurt.db")
    url = f"sqlite+aiosqlite:///{tmp_path / 'buurt.db'}"
    own_net = create_app(Settings(database_url=url, forwarded_allow_ips="10.0.0.0/8"))
    no_proxy = create_app(Settings(database_url=url, proxy_headers=False))
    async with client_of(own_net, "10.1.2.3") as proxy, client_of(own_net, "127.0.0.1") as local:
        assert (await proxy.get("/healthz", headers={"X-Request-ID": "lb-1"})).headers[
            "x-request-id"
        ] == "lb-1"
        assert (await local.get("/healthz", headers={"X-Request-ID": "lb-2"})).headers[
            "x-request-id"
        ] != "lb-2"
    async with client_of(no_proxy, "127.0.0.1") as local:
        assert (await local.get("/healthz", headers={"X-Request-ID": "lb-3"})).headers[
            "x-request-id"
        ] != "lb-3"
    for app in (own_net, no_proxy):
        await app.state.engine.dispose()


@pytest.mark.expect_traceback
async def test_a_crash_answers_with_its_request_id(sqlite_app: FastAPI) -> None:
    async def crash() -> None:
        raise RuntimeError("on purpose")

    sqlite_app.add_api_route("/test/crash", crash)
    transport = httpx.ASGITransport(
        app=sqlite_app, raise_app_exceptions=False, client=("127.0.0.1", 1)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://buurt.test") as c:
        crashed = await c.get("/test/crash", headers={"X-Request-ID": "report-this-1"})
    assert crashed.status_code == 500
    assert crashed.headers["x-request-id"] == "report-this-1"


@pytest.mark.slow
def test_a_real_server_logs_json(sqlite_template: Path, tmp_path: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "buurt.db")
    env = {
        **os.environ,
        "BUURT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'buurt.db'}",
        "BUURT_LOG_FORMAT": "json",
    }
    port, log = free_port(), tmp_path / "server.log"
    server = start_server(env, port, log, "info", "--forwarded-allow-ips", "127.0.0.1")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            signed = http.post(
                "/v1/auth/token",
                headers={"X-Request-ID": "sign-in-1"},
                json={"email": "officer@mechelen.demo", "password": DEMO_PASSWORD},
            )
            assert signed.headers["x-request-id"] == "sign-in-1"
            listed = http.get(
                "/v1/submissions",
                params={"q": "Kerkstraat", "limit": 2},
                headers={"Authorization": f"Bearer {signed.json()['access_token']}"},
            )
            assert listed.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=15)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert lines and all(ISO.match(x["time"]) and x["level"] and x["logger"] for x in lines)
    assert {x["logger"] for x in lines} >= {"uvicorn.error", "buurt.access"}
    access = {x["request_id"]: x for x in lines if x["logger"] == "buurt.access"}
    assert access["sign-in-1"]["method"] == "POST" and access["sign-in-1"]["status"] == 200
    assert access["sign-in-1"]["path"] == "/v1/auth/token"
    search = access[listed.headers["x-request-id"]]
    assert search["path"] == "/v1/submissions?q=[redacted]&limit=2"
    assert search["status"] == 200 and search["duration_ms"] > 0
    assert "Kerkstraat" not in log.read_text()
    print("sample JSON access line:", json.dumps(search))


# -- a database outage ----------------------------------------------------------------------


@pytest.mark.slow
def test_an_outage_is_one_warning_and_one_line_when_it_ends(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    """The scheduler (every 0.2 s), an open stream's reads, LISTEN's reconnects and requests
    all meet the outage: the log says so once, and once when it is over."""
    env = {
        **os.environ,
        "BUURT_DATABASE_URL": own_postgres.url("outage"),
        "BUURT_LOG_FORMAT": "json",
        "BUURT_SCHEDULER_INTERVAL_SECONDS": "0.2",
    }
    port, log = free_port(), tmp_path / "server.log"
    server = start_server(env, port, log, "info", stream="listening")
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            token = http.post(
                "/v1/auth/token", json={"email": "officer@mechelen.demo", "password": DEMO_PASSWORD}
            ).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            with http.stream("GET", "/v1/stream", headers=headers) as stream:
                assert stream.status_code == 200
                own_postgres.pause()
                time.sleep(3)  # 15 scheduler rounds, 3 stream polls, LISTEN's retries
                assert http.get("/v1/me", headers=headers).status_code == 503
                down = http.get("/readyz")
                assert down.status_code == 503 and down.headers["retry-after"]
                own_postgres.resume()
                deadline = time.monotonic() + 20
                while http.get("/readyz").status_code != 200:
                    assert time.monotonic() < deadline, "the server did not come back"
                    time.sleep(0.2)
                time.sleep(1)  # the scheduler's and the streams' next rounds
    finally:
        server.terminate()
        server.wait(timeout=15)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    said = [
        x
        for x in lines
        if x["logger"] != "buurt.access"
        and x["level"] != "DEBUG"
        and not x["logger"].startswith("uvicorn")
    ]
    assert [x["level"] for x in said] == ["WARNING", "INFO"], said
    assert "unavailable" in said[0]["message"] and "answers again" in said[1]["message"]
    assert not [x for x in lines if "exception" in x]
