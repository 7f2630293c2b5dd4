"""Compose and messages through the pilot, against a real server: two languages, a picked
set of neighbourhoods with the live reach, a confirmed publish, and a draft that survives."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, SelectionList, Static, TabbedContent, TextArea

from console.app import BuurtApp
from console.screens.compose import ComposeScreen
from console.screens.confirm import ConfirmScreen
from console.screens.messages import MessagesScreen
from console.session import resolve
from console.widgets.field_error import FieldError
from tests.conftest import (
    DEMO_PASSWORD,
    MemoryKeyring,
    auth_headers,
    settle,
    signed_in_console,
    wait_until,
)
from tests.live import LiveServer

SIZE = (140, 50)


async def to_compose(pilot: Pilot[None]) -> ComposeScreen:
    """Press `c` and wait for the compose screen to have loaded."""
    await pilot.press("c")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ComposeScreen)
    return screen


async def messages_titled(url: str, title: str) -> list[dict]:
    """The officer's messages whose text holds `title`, as the server has them."""
    async with httpx.AsyncClient(base_url=url) as http:
        officer = await auth_headers(http, "officer@mechelen.demo")
        answer = await http.get("/v1/messages", params={"q": title}, headers=officer)
    return list(answer.json()["items"])


async def pick_only(pilot: Pilot[None], screen: ComposeScreen, names: list[str]) -> None:
    await pilot.click("#hood-none")
    await pilot.pause()
    for name in names:
        box = screen.query_one("#hood-filter", Input)
        box.value = name
        await pilot.pause()
        picker = screen.query_one("#hoods", SelectionList)
        picker.focus()
        picker.highlighted = 0
        await pilot.press("space")
        await pilot.pause()
    screen.query_one("#hood-filter", Input).value = ""
    await pilot.pause()


@pytest.mark.slow
async def test_compose_in_two_languages_and_publish(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    title = f"Wegenwerken {uuid.uuid4().hex[:6]}"
    app = await signed_in_console(live_server.url, "officer@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await to_compose(pilot)
        # One tab per language of Mechelen.
        assert [p.id for p in screen.query_one(TabbedContent).query("TabPane")] == [
            "tab-nl",
            "tab-en",
        ]
        screen.query_one("#title-nl", Input).focus()
        await pilot.press(*title)
        screen.query_one("#body-nl", TextArea).text = "De **Battelsesteenweg** is dicht."
        screen.query_one(TabbedContent).active = "tab-en"
        await pilot.pause()
        screen.query_one("#title-en", Input).value = "Roadworks " + title
        screen.query_one("#body-en", TextArea).text = "The **Battelsesteenweg** is closed."

        await pick_only(pilot, screen, ["Battel", "Heihoek"])
        assert screen.chosen and len(screen.chosen) == 2
        reach_text = str(screen.query_one("#reach", Static).render())
        assert "(of 2,950) in 2 neighbourhoods" in reach_text

        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "2 neighbourhoods" in confirm.details and "2,950" in confirm.details
        await pilot.click("#confirm-yes")
        await settle(pilot)
        assert isinstance(app.screen, MessagesScreen)
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        titles = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert "Roadworks " + title in titles  # the English title for an English console

    found = await messages_titled(live_server.url, title)
    assert len(found) == 1
    message = found[0]
    assert message["state"] == "published"
    assert sorted(message["target_names"]) == ["Battel", "Heihoek"]
    assert message["title"]["en"] == "Roadworks " + title
    assert message["body"]["nl"] == "De **Battelsesteenweg** is dicht."
    assert message["reach_total"] == 2950


@pytest.mark.slow
async def test_quit_mid_draft_and_get_it_back(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await signed_in_console(live_server.url, "officer@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await to_compose(pilot)
        screen.query_one("#title-nl", Input).focus()
        await pilot.press(*"Half af")
        screen.query_one("#body-nl", TextArea).text = "Nog niet klaar"
        drafts = console_home / "data" / "drafts"
        # The autosave runs a moment after the last change.
        await wait_until(pilot, lambda: "Nog niet klaar" in "".join(
            p.read_text() for p in drafts.glob("*.json")))  # fmt: skip
    saved = list((console_home / "data" / "drafts").glob("*.json"))
    assert len(saved) == 1 and "Half af" in saved[0].read_text()

    again = BuurtApp(resolve(url=live_server.url), language="nl")
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(again.screen, ConfirmScreen))
        offer = again.screen
        assert isinstance(offer, ConfirmScreen)
        assert "Half af" in offer.details
        await pilot.click("#confirm-yes")
        await settle(pilot)
        screen = again.screen
        assert isinstance(screen, ComposeScreen)
        assert screen.query_one("#title-nl", Input).value == "Half af"
        assert screen.query_one("#body-nl", TextArea).text == "Nog niet klaar"
        # Saving it as a draft on the server clears the local copy.
        await pilot.click("#hood-all")
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(again.screen, MessagesScreen)
    assert not list((console_home / "data" / "drafts").glob("*.json"))


@pytest.mark.slow
async def test_inline_validation_keeps_the_text(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await signed_in_console(live_server.url, "officer@mechelen.demo", language="fr")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await to_compose(pilot)
        screen.query_one("#title-nl", Input).value = "Alleen een titel"
        await pilot.pause()
        await pilot.press("f4")
        await settle(pilot)

        def error() -> str:
            return " ".join(str(e.render()) for e in screen.query(FieldError))

        assert error() == "Le texte en nl est vide."
        assert screen.query_one("#title-nl", Input).value == "Alleen een titel"
        screen.query_one("#body-nl", TextArea).text = "Tekst"
        await pilot.pause()
        # Nobody is chosen when compose opens: "all" is the sender's choice, not a default.
        assert screen.chosen == set()
        assert "dans 0 quartier" in str(screen.query_one("#reach", Static).render())
        await pilot.press("f4")
        await settle(pilot)
        assert error() == "Choisissez au moins un quartier."
        await pilot.click("#hood-all")
        await pilot.pause()
        assert len(screen.chosen) == 20
        assert "dans 20 quartiers" in str(screen.query_one("#reach", Static).render())
        screen.query_one("#schedule", Input).value = "morgen"
        await pilot.pause()
        await pilot.press("f4")
        await settle(pilot)
        # The French sentence, with the French way to write the pattern.
        assert error() == (
            "Écrivez l'heure sous la forme AAAA-MM-JJ HH:MM, par exemple 2026-12-01 06:00."
        )


def cursor_on(screen: Screen[Any], title: str) -> None:
    """On the messages screen, move the cursor to the message titled `title`."""
    assert isinstance(screen, MessagesScreen)
    table = screen.query_one(DataTable)
    table.move_cursor(
        row=next(i for i in range(table.row_count) if str(table.get_row_at(i)[2]) == title)
    )


@pytest.mark.slow
async def test_edit_duplicate_and_withdraw_from_the_list(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    context = resolve(url=live_server.url)
    title = f"Kermis {uuid.uuid4().hex[:6]}"
    async with context.client() as client:
        await client.sign_in("ocmw@mechelen.demo", DEMO_PASSWORD)
        sent = await client.create_message(
            {
                "kind": "announcement",
                "title": {"nl": title},
                "body": {"nl": "Zondag."},
                "targets": "all",
            },
            action="publish",
            idempotency_key=uuid.uuid4().hex,
        )
    app = BuurtApp(resolve(url=live_server.url), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        cursor_on(app.screen, title)
        await pilot.press("e")  # published: not editable
        await pilot.pause()
        assert isinstance(app.screen, MessagesScreen)
        await pilot.press("d")  # duplicate as a new draft
        await settle(pilot)
        compose = app.screen
        assert isinstance(compose, ComposeScreen) and compose.editing is None
        assert compose.query_one("#title-nl", Input).value == title
        await pilot.press("escape")
        await settle(pilot)
        cursor_on(app.screen, title)
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#confirm-yes")
        await settle(pilot)
    async with context.client() as client:
        assert (await client.message(sent.id)).state == "withdrawn"


@pytest.mark.slow
async def test_the_same_text_composed_again_is_a_new_message(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    """A weekly reminder typed again in the TUI goes out again: one key per draft, not per
    text (a retry of one draft stays exactly once: the key is the draft's)."""
    title = f"Herinnering {uuid.uuid4().hex[:6]}"
    app = await signed_in_console(live_server.url, "officer@mechelen.demo")
    keys = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(2):
            screen = await to_compose(pilot)
            keys.append(screen.intent)
            screen.query_one("#title-nl", Input).value = title
            screen.query_one("#body-nl", TextArea).text = "Elke maandag: papier."
            await pilot.click("#hood-all")
            await pilot.press("f4")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.click("#confirm-yes")
            await settle(pilot)
            assert isinstance(app.screen, MessagesScreen)
    assert keys[0] != keys[1]
    found = await messages_titled(live_server.url, title)
    assert len(found) == 2 and all(m["state"] == "published" for m in found)


async def test_a_damaged_autosave_is_kept_and_reported(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    drafts = console_home / "data" / "drafts"
    drafts.mkdir(parents=True)
    (drafts / "default.json").write_text('{"title": {"nl": "Half af, en dan stroomuit')
    app = await signed_in_console(live_server.url, "officer@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await to_compose(pilot)
        error = str(screen.query_one("#compose-error", Static).render())
        assert "could not be read back" in error and "default.damaged.json" in error
    # Nothing typed is thrown away: the text is still on disk, out of the way (the new
    # form may have been autosaved meanwhile, in a file of its own).
    assert "stroomuit" in (drafts / "default.damaged.json").read_text()
    fresh = drafts / "default.json"
    assert not fresh.exists() or "stroomuit" not in fresh.read_text()


@pytest.mark.slow
async def test_escape_goes_back_where_compose_was_opened(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    from console.screens.dashboard import DashboardScreen
    from console.screens.inbox import InboxScreen

    app = await signed_in_console(live_server.url, "officer@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        for start_key, start in (("h", DashboardScreen), ("t", InboxScreen)):
            await pilot.press(start_key)
            await wait_until(pilot, lambda s=start: isinstance(app.screen, s))  # type: ignore[misc]
            await pilot.press("c")
            await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
            await settle(pilot)
            await pilot.press("escape")
            await wait_until(pilot, lambda s=start: isinstance(app.screen, s))  # type: ignore[misc]


async def test_quick_keys_in_the_picker_toggle_the_rows_they_were_pressed_on(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    """Down Space Down Space arriving at once (as a terminal delivers quick typing): the
    second and third neighbourhoods are chosen, not the third toggled twice."""
    from textual import events

    app = await signed_in_console(live_server.url, "officer@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await to_compose(pilot)
        picker = screen.query_one("#hoods", SelectionList)
        picker.focus()
        picker.highlighted = 0
        await pilot.pause()
        for key, character in (("down", None), ("space", " "), ("down", None), ("space", " ")):
            app.post_message(events.Key(key, character))  # no wait between them
        await wait_until(pilot, lambda: len(screen.chosen) == 2)
        await pilot.pause(0.2)
        rows = [picker.get_option_at_index(i).value for i in (1, 2)]
        assert screen.chosen == set(rows) and picker.highlighted == 2
        assert "in 2 neighbourhoods" in str(screen.query_one("#reach", Static).render())


@pytest.mark.slow
async def test_letters_stay_in_the_form_wherever_the_focus_is(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    """At 80x24, with the focus on the kind, the picker or a tab (after Tab, or back from
    the preview), a letter that is a screen key elsewhere does not leave compose; Escape
    with unsent text asks first, and staying keeps every word."""
    from console.screens.dashboard import DashboardScreen
    from console.screens.preview import PreviewScreen

    app = await signed_in_console(live_server.url, "officer@mechelen.demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await to_compose(pilot)
        await pilot.press(*"Werken")
        assert screen.query_one("#title-nl", Input).value == "Werken"
        for target in ("#kind", "#hoods", "#hood-all", "ContentTabs"):
            screen.query_one(target).focus()
            await pilot.pause()
            await pilot.press(*"ogtmhcq?")
            await pilot.pause()
            assert app.screen is screen, target
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press(*"ogt")
        await pilot.pause()
        assert app.screen is screen
        # The navigation bar says how to leave instead of offering keys that type.
        bar = str(screen.query_one("NavigationBar").render())
        assert "esc Back" in bar and "^p" in bar and "f1 Help" in bar and " o " not in bar
        # Leaving with unsent text asks; staying keeps it.
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen.query_one("#title-nl", Input).value.startswith("Werken")
        # The palette's way to another screen asks too.
        app.action_show_dashboard()
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))


@pytest.mark.slow
async def test_a_refused_publish_says_why_beside_the_field_and_focuses_it(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    """At 80x24 the schedule has room for a date and a time; f3 and f4 refused for a wrong
    schedule, an empty text or no neighbourhood say why right under the field, in view,
    and put the cursor there."""
    app = await signed_in_console(live_server.url, "officer@mechelen.demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await to_compose(pilot)
        schedule = screen.query_one("#schedule", Input)
        assert schedule.region.width >= len("2026-12-01 06:00") + 4
        # Its hint whole, too: it says how to write the time; and beside it every
        # neighbourhood with its households, not cut ("Binnenstad Noord  1,857/3,…").
        assert len(str(schedule.placeholder)) <= schedule.content_region.width
        picker = screen.query_one("#hoods", SelectionList)
        widest = max(
            len(str(picker.get_option_at_index(i).prompt)) for i in range(picker.option_count)
        )
        assert widest + len("▐X▌ ") <= picker.scrollable_content_region.width

        def refusal() -> FieldError:
            errors = list(screen.query(FieldError))
            assert len(errors) == 1
            error = errors[0]
            # In view: inside the screen, not scrolled away under the fold.
            assert error.region.height and 0 < error.region.y < 23
            return error

        def under(error: FieldError, field_id: str) -> bool:
            field = screen.query_one(f"#{field_id}")
            return (
                error.region.y >= field.region.bottom and error.region.y - field.region.bottom < 4
            )

        await pilot.press(*"Werken")
        await pilot.press("f4")
        await wait_until(pilot, lambda: bool(screen.query(FieldError)))
        error = refusal()
        assert "text in nl is empty" in str(error.render())
        assert app.focused is screen.query_one("#body-nl") and under(error, "body-nl")
        await pilot.press(*"Dicht.")
        await pilot.press("f4")
        await wait_until(pilot, lambda: bool(screen.query(FieldError)))
        assert "at least one neighbourhood" in str(refusal().render())
        assert app.focused is screen.query_one("#hoods")
        await pilot.click("#hood-all")
        schedule.value = "morgen"
        await pilot.pause()
        for key in ("f4", "f3"):
            await pilot.press(key)
            await wait_until(pilot, lambda: bool(screen.query(FieldError)))
            error = refusal()
            assert "YYYY-MM-DD HH:MM" in str(error.render())
            assert app.focused is schedule and under(error, "schedule")
            screen.query_one("#title-nl", Input).focus()
            await pilot.pause()
        schedule.value = "2020-01-01 06:00"
        await pilot.press("f4")
        await wait_until(pilot, lambda: bool(screen.query(FieldError)))
        assert "has passed" in str(refusal().render()) and app.focused is schedule
        assert isinstance(app.screen, ComposeScreen)


@pytest.mark.slow
async def test_the_first_match_of_the_filter_is_picked_at_once(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    """A filter typed, then enter (or down) to the list, or Tab round to it: space picks the
    first match at once."""
    app = await signed_in_console(live_server.url, "officer@mechelen.demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await to_compose(pilot)
        picker = screen.query_one("#hoods", SelectionList)
        hoods = {n.name: n.id for n in screen.neighbourhoods}
        screen.query_one("#hood-filter", Input).focus()
        await pilot.press(*"Battel", "enter", "space")
        await pilot.pause()
        assert app.focused is picker and screen.chosen == {hoods["Battel"]}
        screen.query_one("#hood-filter", Input).focus()
        screen.query_one("#hood-filter", Input).value = ""
        await pilot.press(*"Heihoek", "down", "space")
        await pilot.pause()
        assert screen.chosen == {hoods["Battel"], hoods["Heihoek"]}
        screen.query_one("#hood-filter", Input).focus()
        screen.query_one("#hood-filter", Input).value = ""
        await pilot.press(*"Coloma", "tab", "tab", "tab", "space")
        await pilot.pause()
        assert app.focused is picker
        assert screen.chosen == {hoods["Battel"], hoods["Heihoek"], hoods["Coloma"]}
