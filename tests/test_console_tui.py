"""The Textual app through its pilot, against a real server; snapshots in English and Dutch."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from console.app import BuurtApp
from console.screens.help import HelpScreen
from console.screens.login import LoginScreen
from console.screens.map import MapScreen
from console.screens.overview import OverviewScreen
from console.session import resolve
from console.widgets.status import StatusHeader
from server.app import create_app
from server.settings import Settings
from tests.conftest import DEMO_PASSWORD, MemoryKeyring, settle, signed_in_console, wait_until
from tests.live import LiveServer
from tests.pgserver import free_port


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    widget.value = ""
    await pilot.press(*text)


@pytest.mark.slow
async def test_sign_in_wrong_then_right_then_navigate(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = BuurtApp(resolve(url=live_server.url), language="en")
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#url", Input).value == live_server.url
        await type_into(pilot, "#email", "officer@mechelen.demo")
        await type_into(pilot, "#password", "not-it")
        await pilot.press("enter")
        await settle(pilot)
        error = app.screen.query_one("#login-error", Static)
        assert error.display and "not right" in str(error.render())
        # What was typed is kept.
        assert app.screen.query_one("#email", Input).value == "officer@mechelen.demo"

        await type_into(pilot, "#password", DEMO_PASSWORD)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, LoginScreen))
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, OverviewScreen))
        table = app.screen.query_one(DataTable)
        assert table.row_count == 20
        header = app.screen.query_one(StatusHeader)
        assert header.organisation == "Stad Mechelen" and header.user == "Lotte Peeters"
        assert header.connection == "live"  # the stream is connected
        assert "20 neighbourhoods" in str(
            app.screen.query_one("#overview-summary", Static).render()
        )

        await pilot.press("slash")
        await pilot.press(*"heide")
        await pilot.pause()
        assert table.row_count == 0
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == 20

        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = app.screen.query_one("#help-keys", DataTable)
        descriptions = {str(keys.get_row_at(i)[1]) for i in range(keys.row_count)}
        assert {"Reload", "Neighbourhoods", "Sign out", "Quit", "Help"} <= descriptions
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)

        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert memory_keyring.entries == {}


async def test_stored_sign_in_opens_the_overview_in_dutch(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await signed_in_console(live_server.url, "ocmw@mechelen.demo", "nl")
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, OverviewScreen))
        table = app.screen.query_one(DataTable)
        assert table.row_count == 4  # the agency's own neighbourhoods only
        summary = str(app.screen.query_one("#overview-summary", Static).render())
        assert summary.startswith("4 buurten")


@pytest.mark.slow
async def test_dead_server_shows_a_sentence_not_a_crash(
    console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    app = BuurtApp(resolve(url=url), language="en")
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        await type_into(pilot, "#email", "someone@city.example")
        await type_into(pilot, "#password", "whatever")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        error = str(app.screen.query_one("#login-error", Static).render())
        assert "Cannot reach the server" in error
        assert app.screen.query_one("#password", Input).value == "whatever"


async def test_form_checks_before_calling(
    console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = BuurtApp(resolve(url="ftp://nowhere"), language="fr")
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        await pilot.click("#sign-in")
        await pilot.pause()
        error = str(app.screen.query_one("#login-error", Static).render())
        assert error == "L'adresse du serveur doit commencer par http:// ou https://."


# -- snapshots ------------------------------------------------------------------------------


@pytest.fixture
def inprocess_app(
    language: str,
    sqlite_template: Path,
    tmp_path: Path,
    console_home: Path,
    memory_keyring: MemoryKeyring,
) -> BuurtApp:
    """The console in `language` on the real API app, in-process: a fixed address keeps the
    snapshots stable. No live stream: an endless stream cannot go through an in-process
    transport."""
    database = tmp_path / "snap.db"
    shutil.copy(sqlite_template, database)
    transport = httpx.ASGITransport(
        app=create_app(Settings(database_url=f"sqlite+aiosqlite:///{database}"))
    )
    return BuurtApp(
        resolve(url="http://buurt.test"),
        language=language,
        client_options={"transport": transport},
        live=False,
    )


def _no_blink(pilot: Pilot[None]) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


async def sign_in_on_the_form(pilot: Pilot[None], email: str) -> None:
    """Type the demo account's address and password on the sign-in screen and wait until
    the console has moved on from it."""
    await settle(pilot)
    await type_into(pilot, "#email", email)
    await type_into(pilot, "#password", DEMO_PASSWORD)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(pilot.app.screen, LoginScreen))


SNAPSHOT_SIZES = {"80x24": (80, 24), "160x48": (160, 48)}
# pytest-textual-snapshot's fixture: (app, terminal_size=…, run_before=…) -> whether it matches.
SnapCompare = Callable[..., bool]


@pytest.mark.slow
@pytest.mark.parametrize("size", list(SNAPSHOT_SIZES))
@pytest.mark.parametrize("language", ["en", "nl"])
def test_snapshot_sign_in(snap_compare: SnapCompare, size: str, inprocess_app: BuurtApp) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        _no_blink(pilot)
        await type_into(pilot, "#email", "officer@mechelen.demo")
        _no_blink(pilot)

    assert snap_compare(inprocess_app, terminal_size=SNAPSHOT_SIZES[size], run_before=run_before)


@pytest.mark.slow
@pytest.mark.parametrize("size", list(SNAPSHOT_SIZES))
@pytest.mark.parametrize("language", ["en", "nl"])
def test_snapshot_overview(snap_compare: SnapCompare, size: str, inprocess_app: BuurtApp) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await sign_in_on_the_form(pilot, "officer@denhaag.demo")
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, OverviewScreen))

    assert snap_compare(inprocess_app, terminal_size=SNAPSHOT_SIZES[size], run_before=run_before)


@pytest.mark.slow
@pytest.mark.parametrize("size", list(SNAPSHOT_SIZES))
@pytest.mark.parametrize("language", ["en", "nl"])
def test_snapshot_map(snap_compare: SnapCompare, size: str, inprocess_app: BuurtApp) -> None:
    """Mechelen's open items on the map, zoomed in once, the one nearest the centre chosen."""

    async def run_before(pilot: Pilot[None]) -> None:
        await sign_in_on_the_form(pilot, "moderator@mechelen.demo")
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("M")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, MapScreen) and pilot.app.screen.loaded
        )
        await pilot.press("plus", "space")
        await wait_until(
            pilot,
            lambda: (
                not any(
                    w.group == "map-suggestions" and not w.is_finished for w in pilot.app.workers
                )
            ),
        )

    assert snap_compare(inprocess_app, terminal_size=SNAPSHOT_SIZES[size], run_before=run_before)


async def test_keys_remapped_in_the_config(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    """`[keys]` in config.toml moves a binding by its id: the new key works, the old one
    no longer does."""
    config = console_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text('[keys]\noverview = "f6"\ninbox = "f7"\n')
    app = await signed_in_console(live_server.url, "officer@mechelen.demo")
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        start = app.screen
        await pilot.press("o")
        await settle(pilot)
        assert app.screen is start, "the old key still opened the overview"
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, OverviewScreen))
        await pilot.press("f7")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
