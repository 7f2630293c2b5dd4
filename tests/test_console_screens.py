"""Every main screen as a person sees it, at 80 by 24 and 160 by 48, in Dutch and French: what
matters stays visible (the keys of the screen, the screens one key away, the inbox's
columns), nothing is cut mid-word in the footer, and no code of the server (a status, a
topic, a field name) reaches the screen untranslated."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

import config
from console.i18n import _, set_language
from console.screens.inbox import InboxScreen
from tests.conftest import (
    DEMO_PASSWORD,
    MemoryKeyring,
    screen_lines,
    settle,
    signed_in_console,
    wait_until,
)
from tests.live import LiveServer

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}
# What the server says in codes; a screen in Dutch or French says it in words.
CODES = [
    "new", "acknowledged", "in_progress", "resolved", "rejected", "duplicate", "duplicate_of",
    "assignee", "priority", "department", "status", "report", "idea", "normal", "urgent", "high",
    "announcement", "published", "scheduled", "draft", "withdrawn", *config.topics(),
]  # fmt: skip
CODE = re.compile(r"(?<![\w/.@-])(" + "|".join(map(re.escape, CODES)) + r")(?![\w/.@-])")
# (key to open it, screen, binding ids whose key and label must be whole in the footer at 80)
SCREENS = [
    ("h", "DashboardScreen", ["period", "reload_dashboard"]),
    ("g", "StatisticsScreen", ["stats_period", "stats_metric", "stats_sort", "stats_export"]),
    ("o", "OverviewScreen", ["refresh", "filter"]),
    ("m", "MessagesScreen", ["new_message", "edit_message"]),
    ("t", "InboxScreen", ["acknowledge", "change_status", "assign_me"]),
    ("c", "ComposeScreen", ["preview", "save_draft", "send", "leave_compose"]),
]


def footer_entry(app: Any, binding: Binding) -> str:
    return f"{app.get_key_display(binding)} {binding.description}"


def prepare_history(url: str) -> int:
    """A submission with changes in its history (status, priority, assignee): the inbox's
    detail shows them."""
    with httpx.Client(base_url=url) as http:
        token = http.post(
            "/v1/auth/token", json={"email": "admin@mechelen.demo", "password": DEMO_PASSWORD}
        ).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        first = http.get(
            "/v1/submissions",
            params={"status": ["new", "acknowledged", "in_progress"], "limit": 1},
        ).json()["items"][0]
        colleague = next(s for s in http.get("/v1/staff").json() if "moderator" in s["roles"])
        changed = http.patch(
            f"/v1/submissions/{first['id']}",
            headers={"If-Match": str(first["version"])},
            json={"status": "in_progress", "priority": "high",
                  "assignee_account_id": colleague["id"]},
        )  # fmt: skip
        assert changed.status_code == 200, changed.text
        return int(first["id"])


@pytest.mark.slow
@pytest.mark.parametrize("language", ["nl", "fr"])
@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
async def test_every_screen_keeps_what_matters_in_words(
    own_server: LiveServer,
    console_home: Path,
    memory_keyring: MemoryKeyring,
    language: str,
    size: str,
) -> None:
    changed = prepare_history(own_server.url)
    app = await signed_in_console(own_server.url, "admin@mechelen.demo", language)
    width, height = SIZES[size]
    async with app.run_test(size=(width, height)) as pilot:
        await settle(pilot)
        for key, name, essentials in SCREENS:
            await pilot.press(key)
            await wait_until(pilot, lambda n=name: type(app.screen).__name__ == n)
            await settle(pilot)
            await pilot.pause(0.3)
            screen = app.screen
            if isinstance(screen, InboxScreen):
                await wait_until(pilot, lambda s=screen: bool(s.items))
                screen.move_to(changed)
                await wait_until(pilot, lambda s=screen: bool(s.detail and s.detail.id == changed))
                await pilot.pause(0.2)
            lines = screen_lines(app)
            text = "\n".join(lines)
            if isinstance(screen, InboxScreen):
                # The detail pane scrolls; all of it counts, not only what shows at 24 rows.
                text += "\n" + str(screen.query_one("#detail-text", Static).render())
            where = f"{name} in {language} at {size}:\n{text}"
            # No server code, in any line.
            assert not CODE.findall(text), f"{CODE.findall(text)} on {where}"
            # The screens one key away, the one in front named in full.
            label = next(b.description for _k, b in app._bindings if b.key == key)
            bar = "\n".join(lines[1 : 1 + screen.query_one("NavigationBar").size.height])
            if getattr(screen, "FORM", False):
                # A form takes letters: its name, and the keys that leave it.
                assert label in bar and "esc" in bar, where
            else:
                assert f"{key} {label}" in bar, where
            # The screen's own keys, whole, in the footer (every one of them at 160).
            footer = lines[-1]
            shown = [b for _k, b in screen._bindings if b.show and b.id]
            wanted = shown if width >= 160 else [b for b in shown if b.id in essentials]
            assert len(wanted) >= len(essentials), [b.id for b in shown]
            for binding in wanted:
                assert footer_entry(app, binding) in footer, where
            if isinstance(screen, InboxScreen):
                # The columns that triage needs, at any width.
                header = next(line for line in lines if "#" in line and _("Status") in line)
                for column in ("Category", "Age", "Assignee"):
                    assert _(column) in header, where
                # The history in words: the field and the values in the person's language.
                assert f"{_('Status')}: " in text or f"{_('Status')}\u00a0: " in text, where
                assert _("In progress") in text and _("High") in text, where
            if name == "DashboardScreen":
                # Every tile and panel within reach: the page scrolls when it does not fit.
                scroller = screen.query_one("#dashboard", VerticalScroll)
                scroller.scroll_end(animate=False)
                await pilot.pause(0.2)
                assert _("Recent city messages") in "\n".join(screen_lines(app)), where
            if name == "StatisticsScreen":
                assert screen.query_one("#stats-table", DataTable).row_count == 20
                assert _("Topics of posts") in text
                # The column it is sorted by is in view, however narrow (names stay too).
                await pilot.pause(0.3)
                shown = "\n".join(screen_lines(app))
                assert f"{_('Share')} ▼" in shown and _("Neighbourhood") in shown, where
            if name == "ComposeScreen":
                await pilot.press("escape")
                await settle(pilot)
    set_language("en")


@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "nl", "fr"])
async def test_at_80_columns_every_screen_key_has_its_name_and_no_label_breaks_mid_word(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring, language: str
) -> None:
    from console.widgets.navigation import NavigationBar

    app = await signed_in_console(live_server.url, "officer@mechelen.demo", language, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        bar = screen.query_one(NavigationBar)
        shown = "\n".join(screen_lines(app)[1 : 1 + bar.size.height])
        for key, label, _action in bar.entries():
            if _action in ("help", "quit"):
                assert key in shown, (key, shown)
            else:
                assert f"{key} {label}" in shown, (key, label, shown)
        # The header, the bar, the title, then the tiles: one or two lines for the bar.
        assert bar.size.height <= 2
        # Every word of a tile's label whole on a line (never "Geregistreerd / e").
        for tile in screen.query(".tile-label"):
            assert isinstance(tile, Static)
            lines = [tile.render_line(y).text for y in range(tile.size.height)]
            for word in str(tile.render()).split():
                assert any(word in line for line in lines), (word, lines)
    set_language("en")


@pytest.mark.parametrize(
    ("language", "activities", "received"),
    [
        ("en", ("Activities organised", "interested", "going"), "Report received"),
        ("fr", ("Activités organisées", "intéressés", "participants"), "Signalement reçu"),
        ("nl", ("Georganiseerde activiteiten", "interesse", "komen"), "Melding ontvangen"),
    ],
)
@pytest.mark.slow
async def test_the_activities_tile_and_a_received_report_say_what_they_are(
    live_server: LiveServer,
    console_home: Path,
    memory_keyring: MemoryKeyring,
    language: str,
    activities: tuple[str, ...],
    received: str,
) -> None:
    """The Activities tile names what it counts (activities organised, and RSVPs as
    interested / going); a report's history says "Report received", never a bare "reçu"
    (a receipt)."""
    app = await signed_in_console(live_server.url, "officer@mechelen.demo", language, live=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        label = str(app.screen.query_one("#tile-activities .tile-label", Static).render())
        for words in activities:
            assert words in label, label
        inbox = app.screen
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.items)
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        row = next(i for i, s in enumerate(inbox.items) if s.kind == "report")
        inbox.move_to(inbox.items[row].id)
        await wait_until(pilot, lambda: inbox.detail is not None and inbox.detail.kind == "report")
        await pilot.pause(0.2)
        detail = str(inbox.query_one("#detail-text", Static).render())
        assert received in detail, detail
    set_language("en")
