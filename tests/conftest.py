"""Shared fixtures: a real server app on a real SQLite file and on a real PostgreSQL.

Each database is migrated and seeded with the demo dataset once per session (a template);
every test gets its own copy, so tests never see each other's writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from server import migrate, security
from server.app import create_app
from server.db import make_engine, make_sessionmaker
from server.services.seed import seed_demo
from server.settings import Settings
from tests.live import LiveServer
from tests.pgserver import PostgresServer
from tests.processes import STARTED_LOGS, tracebacks_in

if TYPE_CHECKING:
    from console.app import BuurtApp

# The console tests' helpers, as a plugin: their fixtures everywhere, their asserts rewritten.
pytest_plugins = ("tests.console_helpers",)

# argon2 at its cheapest in the suite: 200-odd sign-ins would each pay ~0.16 s otherwise.
# (tests/test_security.py checks the full cost of the product and the upgrade of a cheap hash.)
security.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))

DEMO_PASSWORD = "buurt-demo"
# A client address from the documentation range: requests in tests come "from" here.
TEST_CLIENT = ("203.0.113.7", 40000)


class _TracebackRecords(logging.Handler):
    """Keeps the log records that carry a traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.seen.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture(autouse=True)
def no_server_tracebacks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail any test during which a server (in-process, in a thread, or a process the test
    started) logged a traceback: an error a user can cause must be a problem answer, not a
    crash. Tests that crash a route on purpose say so with `expect_traceback`."""
    handler = _TracebackRecords()
    # uvicorn's own loggers do not propagate to the root logger.
    loggers = [logging.getLogger(), logging.getLogger("uvicorn")]
    for logger in loggers:
        logger.addHandler(handler)
    STARTED_LOGS.clear()
    yield
    for logger in loggers:
        logger.removeHandler(handler)
    if request.node.get_closest_marker("expect_traceback"):
        return
    found = [f"{log}:\n{tb}" for log in STARTED_LOGS if (tb := tracebacks_in(log))]
    STARTED_LOGS.clear()
    assert not handler.seen, f"a server logged a traceback: {handler.seen}"
    assert not found, "a server log holds a traceback:\n" + "\n".join(found)


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


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of the test's own with a seeded database `outage`: for tests that pause
    the server (an outage) without stopping every other test's database."""
    server = PostgresServer()
    server.start()
    server.psql("CREATE DATABASE outage")
    seed(server.url("outage"))
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


DIALECTS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test runs on SQLite; one marked `dialect` (its promise depends on the database:
    races, writes under concurrency, migrations, the SQL of rollups and search, hostile
    input reaching storage) runs on PostgreSQL too."""
    if "database_url" in metafunc.fixturenames:
        dialect = metafunc.definition.get_closest_marker("dialect") is not None
        metafunc.parametrize("database_url", DIALECTS if dialect else DIALECTS[:1], indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every case that needs PostgreSQL `postgresql`, so `make test-fast` can leave
    them out (`-m "not slow and not postgresql"`)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and "postgresql" in callspec.params.values()
        needs = {"postgres", "own_postgres"} & set(getattr(item, "fixturenames", ()))
        if on_postgres or needs:
            item.add_marker(pytest.mark.postgresql)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A seeded database of its own for this test: SQLite, and PostgreSQL for a test
    marked `dialect` (see `pytest_generate_tests`)."""
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


# -- console fixtures ---------------------------------------------------------------------


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A working keyring that lives in memory, standing in for the desktop's."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture(scope="session")
def live_server(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One real server for the console tests; the address limit is raised so that tests
    that type wrong passwords on purpose do not lock each other out."""
    path = tmp_path_factory.mktemp("live") / "buurt.db"
    shutil.copy(sqlite_template, path)
    server = LiveServer(path, login_max_failures_per_address=10_000)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_server(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    """A real server of the test's own, for tests that change what the shared one keeps
    (expired tokens, sign-in limits, a stopped server): no test depends on another's."""
    shutil.copy(sqlite_template, tmp_path / "own.db")
    server = LiveServer(tmp_path / "own.db")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def console_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Empty config and data dirs for the console, and no inherited BUURT_* variables."""
    home = tmp_path / "home"
    monkeypatch.setenv("BUURT_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("BUURT_DATA_DIR", str(home / "data"))
    for var in ("BUURT_TOKEN", "BUURT_URL", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """A headless machine: keyring's fail backend."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Each test starts in English, whatever the previous one switched to."""
    from console.i18n import set_language

    set_language("en")
    yield
    set_language("en")


async def wait_until(pilot: Any, check: Any, seconds: float = 10.0) -> None:
    """Wait for a condition of the app (not for a fixed time); fail if it never holds."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await pilot.pause(0.05)
    assert check(), "the condition did not hold in time"


async def settle(pilot: Any) -> None:
    """Wait for the app's workers to finish, except the live stream (it never does)."""
    from textual.worker import WorkerCancelled, WorkerFailed

    for _ in range(3):
        pending = [w for w in pilot.app.workers if w.group != "stream" and not w.is_finished]
        for worker in pending:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()
        await pilot.pause()


def screen_lines(app: Any) -> list[str]:
    """The screen's text, line by line, as the terminal shows it (Textual has no public
    way to read the composed lines: the one place the tests reach into it)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def seed_demo_messages(database_url: str) -> None:
    """The city messages `buurt demo` starts with, in a test's own database (the shared
    template has none, so tests that count messages start from zero)."""
    from server.db import make_engine, make_sessionmaker
    from server.services.seed import seed_demo

    async def run() -> None:
        engine = make_engine(Settings(database_url=database_url))
        async with make_sessionmaker(engine)() as session:
            await seed_demo(session, messages=True)
        await engine.dispose()

    asyncio.run(run())


async def signed_in_console(url: str, email: str, language: str = "en", **options: Any) -> BuurtApp:
    """The console app (not yet running) with `email` signed in and kept, as after
    `buurt login`: it opens straight on the dashboard."""
    from console.app import BuurtApp
    from console.session import resolve

    async with resolve(url=url).client() as client:
        await client.sign_in(email, DEMO_PASSWORD)
    return BuurtApp(resolve(url=url), language=language, **options)
