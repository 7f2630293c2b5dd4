"""Shared fixtures: a real server app on a real SQLite file and on a real PostgreSQL.

Each database is migrated and seeded with the demo dataset once per session (a template);
every test gets its own copy, so tests never see each other's writes.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from server import migrate
from server.app import create_app
from server.db import make_engine, make_sessionmaker
from server.services.seed import seed_demo
from server.settings import Settings
from tests.pgserver import PostgresServer

DEMO_PASSWORD = "buurt-demo"
# A client address from the documentation range: requests in tests come "from" here.
TEST_CLIENT = ("203.0.113.7", 40000)


def seed(database_url: str) -> None:
    """Migrate to head and load the demo dataset."""
    migrate.upgrade(database_url)

    async def run() -> None:
        engine = make_engine(Settings(database_url=database_url))
        async with make_sessionmaker(engine)() as session:
            await seed_demo(session)
        await engine.dispose()

    asyncio.run(run())


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "buurt.db"
    seed(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresServer) -> str:
    postgres.psql("CREATE DATABASE buurt_template")
    seed(postgres.url("buurt_template"))
    return "buurt_template"


_counter = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A seeded database of its own for this test, on each of the two databases."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "buurt.db"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    postgres: PostgresServer = request.getfixturevalue("postgres")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"t{next(_counter)}"
    postgres.psql(f"CREATE DATABASE {name} TEMPLATE {template_name}")
    return postgres.url(name)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=TEST_CLIENT)
    async with httpx.AsyncClient(transport=transport, base_url="http://buurt.test") as c:
        yield c


async def sign_in(client: httpx.AsyncClient, email: str, password: str = DEMO_PASSWORD) -> dict:
    """Sign in and return the token response."""
    response = await client.post("/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def auth_headers(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    """Authorization headers of a freshly signed-in demo account."""
    tokens = await sign_in(client, email)
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict:
    """The response is a problem+json document of the given status and stable type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"/problems/{slug}", body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert "Traceback" not in response.text
    return body
