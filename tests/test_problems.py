"""Every error path answers RFC 9457 problem+json with a stable type, and never a trace."""

from __future__ import annotations

import asyncio
import errno
import logging
import sqlite3
import threading

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI, HTTPException
from sqlalchemy.exc import OperationalError

from server.problems import PROBLEM_TYPES, Problem
from server.settings import Settings
from tests.conftest import assert_problem, auth_headers


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/nothing-here"), 404, "not-found")
    assert_problem(await client.delete("/v1/me"), 405, "method-not-allowed")


async def test_validation_names_the_field_and_drops_the_input(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/auth/token", json={"email": "x@y.z", "password": "hunter2", "extra": 1}
    )
    body = assert_problem(response, 422, "validation")
    assert body["errors"][0]["loc"] == ["body", "extra"]
    assert "hunter2" not in response.text
    bad_json = await client.post(
        "/v1/auth/token", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(bad_json, 422, "validation")


async def test_page_size_and_cursor_are_checked(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, "officer@mechelen.demo")
    for limit in (0, 201, 10**12):
        response = await client.get("/v1/neighbourhoods", headers=headers, params={"limit": limit})
        assert_problem(response, 422, "validation")
    tampered = await client.get("/v1/neighbourhoods", headers=headers, params={"cursor": "!!"})
    assert_problem(tampered, 400, "invalid-cursor")
    wrong_shape = await client.get(
        "/v1/neighbourhoods",
        headers=headers,
        params={"cursor": "WzFd"},  # [1]: one key, not two
    )
    assert_problem(wrong_shape, 400, "invalid-cursor")


async def test_path_parameter_type(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, "officer@mechelen.demo")
    # An id that is no number names no resource; one out of the column's range is refused.
    assert_problem(
        await client.get("/v1/neighbourhoods/not-a-number", headers=headers), 404, "not-found"
    )
    assert_problem(
        await client.get("/v1/neighbourhoods/2147483648", headers=headers), 422, "validation"
    )


@pytest.fixture
def failing_routes(app: FastAPI) -> FastAPI:
    """Routes that fail on purpose, to check the handlers of the rarer statuses."""

    async def crash() -> None:
        raise RuntimeError("SELECT secret FROM staff_accounts -- internal detail")

    async def conflict() -> None:
        raise HTTPException(status_code=409, detail="Already there")

    async def stale() -> None:
        raise Problem("precondition-failed", "Version 3 is current.", current_version=3)

    app.add_api_route("/test/crash", crash)
    app.add_api_route("/test/conflict", conflict)
    app.add_api_route("/test/stale", stale)
    return app


@pytest.mark.expect_traceback
async def test_rare_statuses(failing_routes: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    transport = httpx.ASGITransport(app=failing_routes, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://buurt.test") as c:
        with caplog.at_level(logging.ERROR, logger="buurt.server"):
            crash = await c.get("/test/crash")
        body = assert_problem(crash, 500, "internal")
        assert "SELECT" not in crash.text and "RuntimeError" not in crash.text
        assert "detail" not in body
        assert any("unhandled error" in r.message for r in caplog.records)
        assert assert_problem(await c.get("/test/conflict"), 409, "conflict")["detail"] == (
            "Already there"
        )
        stale = assert_problem(await c.get("/test/stale"), 412, "precondition-failed")
        assert stale["current_version"] == 3


def _raising(error: Exception):  # type: ignore[no-untyped-def]
    async def route() -> None:
        raise error

    return route


@pytest.mark.dialect
async def test_storage_failures_say_what_failed(app: FastAPI) -> None:
    """A full disk or a read-only database file is not "the database cannot be reached"."""
    readonly = sqlite3.OperationalError("attempt to write a readonly database")
    cases = {
        "/test/full": (OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
        "/test/readonly": (OperationalError("INSERT", {}, readonly), "may not write"),
        "/test/refused": (
            ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
            "cannot be reached",
        ),
        "/test/lost": (OperationalError("SELECT", {}, ConnectionResetError()), "cannot be reached"),
    }
    for path, (error, _words) in cases.items():
        app.add_api_route(path, _raising(error))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://buurt.test") as c:
        for path, (_error, words) in cases.items():
            body = assert_problem(await c.get(path), 503, "service-unavailable")
            assert words in body["detail"], (path, body)


@pytest.mark.dialect
async def test_readyz_tells_how_this_process_hears_the_others(
    app: FastAPI, settings: Settings
) -> None:
    """SQLite: one process, "local". PostgreSQL: "listening" once its LISTEN connection is
    up (the app's lifespan starts it)."""
    transport = httpx.ASGITransport(app=app)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=transport, base_url="http://buurt.test") as c,
    ):
        wanted = "local" if settings.is_sqlite else "listening"
        for _ in range(100):
            mode = (await c.get("/readyz")).json()["stream"]
            if mode == wanted:
                break
            await asyncio.sleep(0.05)
        assert mode == wanted


def test_problem_types_are_unique_and_stable() -> None:
    # Clients switch on these; renaming one breaks them.
    expected = {
        "bad-request", "validation", "unauthenticated", "invalid-credentials", "invalid-token",
        "refresh-token-reused", "forbidden", "missing-role", "missing-scope", "not-found",
        "method-not-allowed", "conflict", "precondition-failed", "payload-too-large",
        "unsupported-media-type", "rate-limited", "internal", "service-unavailable",
        "invalid-cursor",
    }  # fmt: skip
    assert expected <= set(PROBLEM_TYPES)
    with pytest.raises(ValueError):
        Problem("no-such-type")


async def test_health_and_openapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = (await client.get("/readyz")).json()
    assert ready["status"] == "ready"
    spec = (await client.get("/openapi.json")).json()
    assert (
        "/v1/auth/token" in spec["paths"]
        and "/v1/neighbourhoods/{neighbourhood_id}" in spec["paths"]
    )


async def test_readyz_reports_a_dead_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from server.app import create_app
    from server.settings import Settings

    # A directory where the database file should be: SQLite cannot open it.
    before = set(threading.enumerate())
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://buurt.test") as c:
        assert_problem(await c.get("/readyz"), 503, "service-unavailable")
        down = await c.post("/v1/auth/token", json={"email": "a@b.c", "password": "x"})
        assert_problem(down, 503, "service-unavailable")
    await app.state.engine.dispose()
    # aiosqlite stops the thread of a connection that failed to open without waiting for it,
    # and that thread then reports to this loop: the loop must outlive it, or the thread
    # fails on a closed loop during whichever test runs next (an unhandled thread exception).
    for thread in set(threading.enumerate()) - before:
        await asyncio.to_thread(thread.join, 10)
        assert not thread.is_alive(), thread


async def test_oversized_bodies_are_refused_cleanly(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, "admin@mechelen.demo")
    huge = b'{"events": [' + b'{"id": "x"},' * 500_000 + b'{"id": "y"}]}'
    response = await client.post(
        "/v1/events", headers={**headers, "content-type": "application/json"}, content=huge
    )
    body = assert_problem(response, 413, "payload-too-large")
    assert "larger than" in body["detail"]

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(600):
            yield b"x" * 10_000

    streamed = await client.post(
        "/v1/events", headers={**headers, "content-type": "application/json"}, content=chunks()
    )
    assert_problem(streamed, 413, "payload-too-large")
    # Read by the route itself (a kind BoundedInput does not read), and declared where no
    # route reads a body: still problems, with the request's id.
    as_text = await client.post(
        "/v1/events", headers={**headers, "content-type": "text/plain"}, content=chunks()
    )
    assert_problem(as_text, 413, "payload-too-large")
    unread = await client.request("GET", "/v1/me", headers=headers, content=huge)
    assert "larger than" in assert_problem(unread, 413, "payload-too-large")["detail"]
    assert unread.headers["x-request-id"]
