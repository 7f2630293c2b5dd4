"""`buurt demo`: a demo server on 127.0.0.1 with seeded data, and the console signed in on it."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

import config as config_data
from console.api.client import ApiClient
from console.i18n import _
from console.private_files import private_dir
from console.session import Context
from console.settings import data_dir

DEMO_PROFILE = "demo"
HISTORY_DAYS = 90
SERVER_MODULES = ("fastapi", "uvicorn", "sqlalchemy", "alembic", "aiosqlite", "argon2")


def server_installed() -> bool:
    """True when the `server` extra is installed."""
    return all(importlib.util.find_spec(name) is not None for name in SERVER_MODULES)


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_database(reset: bool) -> Path:
    """The demo's SQLite file in the user data dir; removed first with --reset."""
    folder = data_dir() / "demo"
    if reset and folder.exists():
        shutil.rmtree(folder)
    private_dir(folder)  # the demo's database and logs: the user's own
    return folder / "buurt.db"


def prepare_database(url: str) -> None:
    """Migrate and seed (both idempotent) in this process."""
    from server import migrate
    from server.db import make_engine, make_sessionmaker
    from server.services.seed import seed_demo
    from server.settings import Settings

    migrate.upgrade(url)

    async def seed() -> None:
        engine = make_engine(Settings(database_url=url))
        async with make_sessionmaker(engine)() as session:
            await seed_demo(session, messages=True)
        await engine.dispose()

    asyncio.run(seed())


def simulator_token(url: str) -> tuple[str, bool]:
    """An API token for the simulator (admin of Mechelen, events and Open311), made in the
    demo database; and whether the database has no activity yet (then history is backfilled)."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import selectinload

    from server.db import make_engine, make_sessionmaker
    from server.models import EngagementEvent, Organisation, StaffAccount
    from server.principal import Principal
    from server.services import tokens
    from server.settings import Settings

    async def make() -> tuple[str, bool]:
        engine = make_engine(Settings(database_url=url))
        async with make_sessionmaker(engine)() as session:
            account = await session.scalar(
                select(StaffAccount)
                .where(StaffAccount.email == "admin@mechelen.demo")
                .options(
                    selectinload(StaffAccount.organisation).selectinload(Organisation.municipality)
                )
            )
            assert account is not None, "the demo dataset has its admin"
            empty = not await session.scalar(select(func.count()).select_from(EngagementEvent))
            principal = Principal(
                account=account, organisation=account.organisation,
                roles=frozenset(account.roles), scopes=None, client_address="demo",
            )  # fmt: skip
            _token, secret = await tokens.create(
                session,
                principal,
                name="demo simulator",
                # The resident side sends events; it reads the neighbourhoods to place them and
                # the published messages whose views it counts.
                scopes=["events:write", "stats:read", "messages:read", "participation:write"],
                expires_in_days=1,
            )
        await engine.dispose()
        return secret, empty

    return asyncio.run(make())


def fill_history(server_url: str, token: str) -> None:
    """90 days of resident activity, before the console opens: it opens on figures in the
    range of FIGURES.md, not on zeros that climb for half an hour. The last month at full
    scale (weekly active, contributors, the 30-day figures), the rest thinned out."""
    from server import simulator

    def progress(done: int, days: int) -> None:
        line = _("Filling 90 days of neighbourhood activity… {done}/{days}").format(
            done=done, days=days
        )
        print(f"\r{line}", end="", file=sys.stderr, flush=True)

    async def run() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server_url, headers=headers, timeout=120) as http:
            await simulator.backfill(http, HISTORY_DAYS, 0.1, full_days=31, progress=progress)

    asyncio.run(run())
    print(file=sys.stderr)


def start_simulator(server_url: str, token: str, log: Path) -> subprocess.Popen[bytes]:
    """The resident-activity simulator, fast enough that the dashboard visibly moves."""
    args = [sys.executable, "-m", "server", "simulate", "--url", server_url, "--speed", "240"]
    handle = open(log, "ab")  # noqa: SIM115 - the child owns it until it exits
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module, no user input
        args,
        env={**os.environ, "BUURT_TOKEN": token},
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


def start_server(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`buurt-server serve` in a child process, logging to a file."""
    env = {**os.environ, "BUURT_DATABASE_URL": database_url}
    handle = open(log, "ab")  # noqa: SIM115 - the child owns it until it exits
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module, no user input
        [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> bool:
    """Poll /readyz until the server answers, it dies, or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return False


def sign_in_demo_officer(context: Context) -> None:
    """Sign in as the demo officer; the credential is kept like any other."""
    dataset = config_data.load_toml("demo/dataset.toml")

    async def run() -> None:
        async with ApiClient(context.url, on_tokens=context.keep) as client:
            await client.sign_in(dataset["demo_officer"], dataset["demo_password"])

    asyncio.run(run())
    context.remember_profile(dataset["demo_officer"])


def run_demo(context: Context, *, language: str, reset: bool = False) -> int:
    """Set up, start, sign in, open the TUI; stop the server when the TUI closes."""
    if not server_installed():
        print(
            _(
                "The demo runs a server, which is not installed. "
                "Install it with: pip install 'buurt[server]'"
            ),
            file=sys.stderr,
        )
        return 2
    database = demo_database(reset)
    database_url = f"sqlite+aiosqlite:///{database}"
    print(_("Preparing the demo database in {path}…").format(path=database), file=sys.stderr)
    prepare_database(database_url)
    port = free_port()
    context.profile_name = DEMO_PROFILE
    context.url = f"http://127.0.0.1:{port}"
    context.api_token = None
    log = database.parent / "server.log"
    print(_("Starting the demo server on {url}…").format(url=context.url), file=sys.stderr)
    server = start_server(database_url, port, log)
    simulator: subprocess.Popen[bytes] | None = None
    try:
        if not wait_ready(context.url, server):
            print(_("The demo server did not start; see {log}.").format(log=log), file=sys.stderr)
            return 6
        sign_in_demo_officer(context)
        token, empty = simulator_token(database_url)
        if empty:
            fill_history(context.url, token)
        simulator = start_simulator(context.url, token, database.parent / "simulator.log")
        from console.app import BuurtApp

        BuurtApp(context, language=language).run()
    finally:
        for child in [p for p in (simulator, server) if p is not None]:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0
