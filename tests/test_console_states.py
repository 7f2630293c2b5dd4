"""The console's clearer states: what each role sees, empty lists that say what is empty,
popups that show their keys, the preview in every language, one reload key everywhere."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.widgets import Footer, Markdown, Static

from console.app import BuurtApp
from console.screens.compose import ComposeScreen
from console.screens.confirm import ConfirmScreen
from console.screens.dashboard import DashboardScreen
from console.screens.inbox import InboxScreen
from console.screens.message_view import MessageView
from console.screens.messages import MessagesScreen
from console.screens.overview import OverviewScreen
from console.screens.preview import PreviewScreen
from console.screens.statistics import StatisticsScreen
from tests.conftest import MemoryKeyring, settle, signed_in_console, wait_until
from tests.live import LiveServer

SIZE = (160, 45)


def navigation(app: BuurtApp) -> str:
    return str(app.screen.query_one("NavigationBar").render())


def footer_keys(app: BuurtApp) -> set[str]:
    """The actions the footer offers on the screen in front."""
    return {
        active.binding.action
        for active in app.screen.active_bindings.values()
        if active.binding.show and active.enabled
    }


def test_every_screen_reloads_with_f5() -> None:
    screens = (DashboardScreen, StatisticsScreen, OverviewScreen, MessagesScreen, InboxScreen)
    for screen in screens:
        keys = [b.key for b in screen.BINDINGS if isinstance(b, Binding) and b.action == "reload"]
        assert keys == ["f5"], screen.__name__
    # Publishing is not on the reload key: a habit of pressing F5 cannot publish.
    send = [b.key for b in ComposeScreen.BINDINGS if isinstance(b, Binding) and b.action == "send"]
    assert send == ["f4"]


async def test_a_moderator_is_not_offered_compose(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await signed_in_console(live_server.url, "moderator@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Inbox" in navigation(app) and "Compose" not in navigation(app)
        assert "Compose" not in {c.title for c in app.get_system_commands(app.screen)}
        # The key says so at once, before anything is typed.
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, ComposeScreen)
        notes = [n.message for n in app._notifications]
        assert any("communicator or admin" in n for n in notes), notes
        # The messages list is readable; writing keys are not offered.
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MessagesScreen)
        assert not {"new", "edit", "duplicate", "withdraw"} & footer_keys(app)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, MessagesScreen)


@pytest.mark.slow
async def test_a_communicator_is_not_offered_the_inbox_and_an_analyst_cannot_triage(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await signed_in_console(live_server.url, "werf@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Compose" in navigation(app) and "Inbox" not in navigation(app)
        await pilot.press("t")
        await pilot.pause()
        assert not isinstance(app.screen, InboxScreen)
    app = await signed_in_console(live_server.url, "analyst@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        offered = footer_keys(app)
        assert "reload" in offered and "search" in offered
        assert not {"acknowledge", "status", "assign_me", "reply", "duplicate"} & offered


@pytest.mark.slow
async def test_empty_lists_say_what_is_empty(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await signed_in_console(live_server.url, "officer@mechelen.demo", language="nl")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MessagesScreen)
        # A view with no message in it is not "no messages yet".
        screen.query_text = "zzzz-nothing-like-this"
        screen.reload()
        await settle(pilot)
        assert not screen.items
        hint = str(screen.query_one("#messages-hint", Static).render())
        assert hint.startswith("Geen berichten in deze weergave"), hint
        # "Assigned to me" when nothing is: said, not a blank list.
        await pilot.press("t")
        await settle(pilot)
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        inbox.query_text = "zzzz-nothing-like-this"
        inbox.reload()
        await settle(pilot)
        empty = inbox.query_one("#inbox-empty", Static)
        assert empty.display
        assert str(empty.render()) == (
            "Niets gevonden voor “zzzz-nothing-like-this”. Druk op v voor een andere weergave."
        )


@pytest.mark.slow
async def test_popups_show_their_keys_and_the_preview_every_language(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await signed_in_console(live_server.url, "officer@mechelen.demo")
    await app.client.create_message(
        {"kind": "announcement", "title": {"nl": "Popup", "en": "Popup"},
         "body": {"nl": "Tekst.", "en": "Text."}, "targets": "all"},
        action="publish", idempotency_key=uuid.uuid4().hex,
    )  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        compose = app.screen
        assert isinstance(compose, ComposeScreen)
        compose.query_one("#title-nl").value = "Wegenwerken"  # type: ignore[attr-defined]
        compose.query_one("#title-en").value = "Roadworks"  # type: ignore[attr-defined]
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        preview = app.screen
        text = preview.query_one(Markdown).source
        assert "NL · Wegenwerken" in text and "EN · Roadworks" in text
        assert preview.query(Footer) and "close" in footer_keys(app)
        await pilot.press("escape")
        await pilot.press("escape")  # leaving typed text: asked first
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MessageView))
        view = app.screen
        assert view.query(Footer) and "close" in footer_keys(app)
        facts = str(view.query_one("#message-facts", Static).render())
        assert "Published " in facts and "Views: " in facts
