"""/readyz: 200 when the database answers and takes writes; 503 problem+json with Retry-After
when it cannot be reached, is read-only (PostgreSQL) or its disk is nearly full (SQLite);
/healthz is the process only."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from server.app import create_app
from server.settings import Settings
from tests.conftest import TEST_CLIENT, assert_problem
from tests.pgserver import PostgresServer, free_port


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=TEST_CLIENT)
    async with httpx.AsyncClient(transport=transport, base_url="http://buurt.test") as client:
        return await client.get(path)


@pytest.mark.dialect
async def test_ready_when_the_database_takes_writes(client: httpx.AsyncClient) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_unreachable_database(tmp_path: Path) -> None:
    app = create_app(
        Settings(
            database_url=f"postgresql+asyncpg://buurt@127.0.0.1:{free_port()}/gone",
            scheduler_enabled=False,
        )
    )
    down = await get(app, "/readyz")
    body = assert_problem(down, 503, "service-unavailable")
    assert down.headers["retry-after"] == "5" and "cannot be reached" in body["detail"]
    assert (await get(app, "/healthz")).status_code == 200  # the process is fine
    await app.state.engine.dispose()


async def test_sqlite_disk_nearly_full(sqlite_template: Path, tmp_path: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "buurt.db")
    url = f"sqlite+aiosqlite:///{tmp_path / 'buurt.db'}"
    free = shutil.disk_usage(tmp_path).free
    # The threshold above what the disk has left: as a disk that is nearly full.
    full = create_app(
        Settings(database_url=url, ready_min_free_bytes=free + 2**30, scheduler_enabled=False)
    )
    down = await get(full, "/readyz")
    body = assert_problem(down, 503, "service-unavailable")
    assert down.headers["retry-after"] == "5"
    assert "MiB free" in body["detail"] and "BUURT_READY_MIN_FREE_BYTES" in body["detail"]
    assert (await get(full, "/healthz")).status_code == 200
    fine = create_app(Settings(database_url=url, scheduler_enabled=False))
    assert (await get(fine, "/readyz")).status_code == 200
    for app in (full, fine):
        await app.state.engine.dispose()


async def test_postgres_read_only_is_not_ready(
    postgres: PostgresServer, postgres_template: str
) -> None:
    name = f"ro{free_port()}"
    postgres.psql(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    postgres.psql(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    app = create_app(Settings(database_url=postgres.url(name), scheduler_enabled=False))
    down = await get(app, "/readyz")
    body = assert_problem(down, 503, "service-unavailable")
    assert "read-only" in body["detail"] and down.headers["retry-after"] == "5"
    await app.state.engine.dispose()
    postgres.psql(f"ALTER DATABASE {name} SET default_transaction_read_only = off")
    app = create_app(Settings(database_url=postgres.url(name), scheduler_enabled=False))
    assert (await get(app, "/readyz")).status_code == 200
    await app.state.engine.dispose()
