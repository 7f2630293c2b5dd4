"""The inbox through the pilot and the CLI, against a real server: filter, open,
acknowledge, reply, assign, bulk-resolve, and the conflict between two moderators."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Static, TextArea

from console.app import BuurtApp
from console.cli import main
from console.screens.assign import AssignScreen
from console.screens.choice import ChoiceScreen
from console.screens.inbox import InboxScreen
from console.screens.text_entry import TextEntryScreen
from console.screens.triage_conflict import TriageConflictScreen
from tests.conftest import DEMO_PASSWORD, MemoryKeyring, settle, signed_in_console, wait_until
from tests.live import LiveServer

SIZE = (160, 45)


async def open_inbox(url: str, email: str = "moderator@mechelen.demo") -> BuurtApp:
    return await signed_in_console(url, email)


@contextlib.contextmanager
def api(live: LiveServer, email: str = "admin@mechelen.demo") -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url) as client:
        token = client.post("/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield client


async def to_inbox(pilot: Pilot[None]) -> InboxScreen:
    """Press `t` and wait for the inbox to have loaded."""
    await pilot.press("t")
    await settle(pilot)
    inbox = pilot.app.screen
    assert isinstance(inbox, InboxScreen)
    return inbox


async def choose(pilot: Pilot[None], label_part: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, ChoiceScreen)
    options = screen.query_one(OptionList)
    index = next(
        i
        for i in range(options.option_count)
        if label_part in str(options.get_option_at_index(i).prompt)
    )
    options.highlighted = index
    await pilot.press("enter")
    await pilot.pause()


@pytest.mark.slow
async def test_triage_from_the_keyboard(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await open_inbox(live_server.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        table = inbox.query_one(DataTable)
        assert table.row_count > 0
        # Filter: only new ones, then search a word.
        await pilot.press("v")
        await settle(pilot)
        assert {s.status for s in inbox.items} == {"new"}
        first = inbox.items[0]
        await wait_until(
            pilot, lambda: f"#{first.id}" in str(inbox.query_one("#detail-text", Static).render())
        )
        detail = str(inbox.query_one("#detail-text", Static).render())
        assert f"#{first.id}" in detail and first.description in detail
        # Acknowledge, reply, assign to me.
        await pilot.press("a")
        await settle(pilot)
        assert inbox.items[0].status == "acknowledged"
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, TextEntryScreen)
        app.screen.query_one(TextArea).text = "Bedankt, we komen langs."
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert inbox.items[0].assignee_name == "Sofie Janssens"
        await wait_until(
            pilot,
            lambda: (
                "Bedankt, we komen langs." in str(inbox.query_one("#detail-text", Static).render())
            ),
        )
        # Bulk-resolve two acknowledged or in-progress ones from the "open" view.
        for _ in range(4):
            await pilot.press("v")
            await settle(pilot)
        assert {s.status for s in inbox.items} <= {"new", "acknowledged", "in_progress"}
        rows = [i for i, s in enumerate(inbox.items) if s.status in ("acknowledged", "in_progress")]
        rows = [i for i in rows if inbox.items[i].id != first.id][:2]
        chosen = {inbox.items[i].id for i in rows}
        for row in rows:
            table.move_cursor(row=row)
            await pilot.press("space")
        assert inbox.selected_ids == chosen and len(chosen) == 2
        await pilot.press("b")
        await pilot.pause()
        await choose(pilot, "Resolved")
        await settle(pilot)
        assert inbox.selected_ids == set()
        assert not chosen & {s.id for s in inbox.items}  # resolved ones left the open view
    with api(live_server) as http:
        sub = http.get(f"/v1/submissions/{first.id}").json()
        assert sub["status"] == "acknowledged" and sub["assignee_name"] == "Sofie Janssens"
        assert any(
            h["kind"] == "reply" and h["text"] == "Bedankt, we komen langs." for h in sub["history"]
        )
        for other in chosen:
            assert http.get(f"/v1/submissions/{other}").json()["status"] == "resolved"


@pytest.mark.slow
async def test_conflict_shows_both_and_reapplies(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await open_inbox(live_server.url, "admin@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        sub = inbox.items[0]
        # A colleague raises the priority meanwhile.
        with api(live_server, "moderator@mechelen.demo") as colleague:
            done = colleague.patch(
                f"/v1/submissions/{sub.id}",
                json={"priority": "urgent"},
                headers={"If-Match": f'"{sub.version}"'},
            )
            assert done.status_code == 200
        await pilot.press("s")
        await pilot.pause()
        await choose(pilot, "Resolved" if sub.status == "acknowledged" else "In progress")
        for _ in range(20):
            await pilot.pause(0.05)
            if isinstance(app.screen, TriageConflictScreen):
                break
        conflict = app.screen
        assert isinstance(conflict, TriageConflictScreen)
        assert conflict.current.priority == "urgent"
        await pilot.click("#reapply")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
    with api(live_server) as http:
        now = http.get(f"/v1/submissions/{sub.id}").json()
    assert now["priority"] == "urgent"  # theirs kept
    assert now["status"] in ("resolved", "in_progress")  # mine applied on top


def test_submissions_cli(
    live_server: LiveServer,
    console_home: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(DEMO_PASSWORD + "\n"))
    assert (
        main(
            [
                "--url",
                live_server.url,
                "login",
                "--email",
                "moderator@mechelen.demo",
                "--password-stdin",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            ["submissions", "list", "--status", "new", "--kind", "report", "--json", "--limit", "5"]
        )
        == 0
    )
    items = json.loads(capsys.readouterr().out)
    assert 0 < len(items) <= 5 and {i["status"] for i in items} == {"new"}
    target = items[0]["id"]
    assert main(["submissions", "list", "--kind", "idea", "--csv", "--limit", "500"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {r["kind"] for r in rows} == {"idea"}
    code = main([
        "submissions", "update", str(target), "--status", "acknowledged", "--assignee", "me",
        "--priority", "high", "--reply", "Dank je!", "--note", "Ploeg inplannen", "--json",
    ])  # fmt: skip
    assert code == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["status"] == "acknowledged" and detail["priority"] == "high"
    assert detail["assignee_name"] == "Sofie Janssens"
    assert [h["kind"] for h in detail["history"]][-2:] == ["reply", "note"]
    assert main(["submissions", "update", str(target), "--status", "new"]) == 4
    err = capsys.readouterr().err
    assert "can only become" in err
    assert main(["submissions", "show", str(target)]) == 0
    assert "Ploeg inplannen" in capsys.readouterr().out
    out = tmp_path / "inbox.csv"
    assert main(["submissions", "export", "--kind", "report", "-o", str(out)]) == 0
    exported = list(csv.DictReader(out.open()))
    assert (
        exported and {r["kind"] for r in exported} == {"report"} and "reporter_name" in exported[0]
    )
    assert "Exported" in capsys.readouterr().err
    assert main(["submissions", "update", str(target)]) == 2


@pytest.mark.slow
async def test_open311_report_appears_in_the_console_inbox(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    with api(live_server) as http:
        key = http.post("/v1/tokens", json={"name": "app", "scopes": ["open311:submit"]}).json()[
            "token"
        ]
        created = http.post(
            "/open311/v2/requests.json",
            data={
                "api_key": key, "jurisdiction_id": "mechelen", "service_code": "street-light",
                "lat": "51.03", "long": "4.48", "description": "Lamp kapot aan de Dijle (Open311)",
            },
        )  # fmt: skip
        request_id = created.json()[0]["service_request_id"]
    app = await open_inbox(live_server.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        await pilot.press("slash")
        inbox.query_one("#inbox-search", Input).value = "Open311"
        await pilot.press("enter")
        await settle(pilot)
        assert [s.id for s in inbox.items] == [request_id]
        assert inbox.items[0].source == "open311"
        # An empty search shows everything again and puts the field away.
        box = inbox.query_one("#inbox-search", Input)
        await pilot.press("slash")
        box.value = ""
        await pilot.press("enter")
        await settle(pilot)
        assert not box.has_class("open") and len(inbox.items) > 1


@pytest.mark.slow
async def test_the_other_inbox_keys(
    own_server: LiveServer,
    console_home: Path,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """k (kind), p (priority), n (note), A (assign: Shift+A as terminals send it), x (CSV
    export), f5 (reload): each does what the footer says."""
    monkeypatch.chdir(tmp_path)
    app = await open_inbox(own_server.url, "admin@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        await pilot.press("k")
        await wait_until(pilot, lambda: inbox.items and {s.kind for s in inbox.items} == {"report"})
        sub = inbox.items[0]
        await pilot.press("p")
        await pilot.pause()
        await choose(pilot, "Urgent")
        await wait_until(pilot, lambda: inbox.items[0].priority == "urgent")
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, TextEntryScreen)
        app.screen.query_one(TextArea).text = "Aannemer gebeld."
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AssignScreen))
        await pilot.press(*"sofie", "enter")  # a few letters of the name, enter
        await wait_until(pilot, lambda: inbox.items[0].assignee_name == "Sofie Janssens")
        await pilot.press("x")
        await wait_until(pilot, lambda: bool(list(tmp_path.glob("buurt-inbox-*.csv"))))
        # A colleague closes it meanwhile; f5 shows it.
        with api(own_server, "moderator@mechelen.demo") as colleague:
            now = colleague.get(f"/v1/submissions/{sub.id}").json()
            changed = colleague.patch(
                f"/v1/submissions/{sub.id}", json={"department": "Werken"},
                headers={"If-Match": f'"{now["version"]}"'},
            )  # fmt: skip
            assert changed.status_code == 200, changed.text
        await pilot.press("f5")
        await wait_until(
            pilot, lambda: any(s.id == sub.id and s.department == "Werken" for s in inbox.items)
        )
    with api(own_server) as http:
        detail = http.get(f"/v1/submissions/{sub.id}").json()
    assert detail["priority"] == "urgent" and detail["assignee_name"] == "Sofie Janssens"
    assert any(e["kind"] == "note" and e["text"] == "Aannemer gebeld." for e in detail["history"])
    export = next(tmp_path.glob("buurt-inbox-*.csv")).read_text().splitlines()
    assert export[0].startswith("id,kind,") and all(",report," in line for line in export[1:])


@pytest.mark.slow
async def test_d_says_up_front_what_cannot_be_a_duplicate_and_takes_a_number(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    with api(own_server) as http:
        subs = http.get("/v1/submissions", params={"status": "new", "limit": 200}).json()["items"]
        lonely = next(
            s for s in subs if not http.get(f"/v1/submissions/{s['id']}/suggestions").json()
        )
        busy = next(s for s in subs if s["id"] != lonely["id"])
        original = next(s for s in subs if s["id"] not in (lonely["id"], busy["id"]))
        moved = http.patch(
            f"/v1/submissions/{busy['id']}", json={"status": "in_progress"},
            headers={"If-Match": f'"{busy["version"]}"'},
        )  # fmt: skip
        assert moved.status_code == 200
    app = await open_inbox(own_server.url, "admin@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        table = inbox.query_one(DataTable)

        async def select(submission_id: int) -> None:
            row = next(i for i, s in enumerate(inbox.items) if s.id == submission_id)
            table.move_cursor(row=row)
            await pilot.pause()

        # In progress: told at once, nothing offered.
        await select(busy["id"])
        await pilot.press("d")
        await wait_until(pilot, lambda: any(
            "can be marked a duplicate" in n.message for n in app._notifications))  # fmt: skip
        assert app.screen is inbox
        # No likely original nearby: the number can be typed.
        await select(lonely["id"])
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, TextEntryScreen))
        app.screen.query_one(TextArea).text = f"#{original['id']}"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: any(
            s.id == lonely["id"] and s.status == "duplicate" for s in inbox.items))  # fmt: skip
    with api(own_server) as http:
        assert (
            http.get(f"/v1/submissions/{lonely['id']}").json()["duplicate_of_id"] == original["id"]
        )


@pytest.mark.slow
async def test_the_palette_finds_every_action_of_the_screen(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await open_inbox(live_server.url, "admin@mechelen.demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        titles = {c.title: c for c in app.get_system_commands(inbox)}
        # Each of the screen's keys, even those the footer has no room for at 80 columns.
        for wanted in ("Assign", "Export", "Kind", "Reload", "Mark duplicate", "Bulk change"):
            assert wanted in titles, sorted(titles)
        assert "A" in titles["Assign"].help
        # As a person does: Ctrl+P, a word, Enter.
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
        await pilot.press(*"assign")
        await wait_until(pilot, lambda: app.screen.query_one(OptionList).option_count > 0)
        await pilot.press("enter")
        # "Assign": the colleague picker (or, for "Assign to me", done at once).
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, AssignScreen) or inbox.items[0].assignee_name is not None
            ),
        )


@pytest.mark.slow
async def test_an_item_resolved_from_the_open_view_leaves_it(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    """Resolved from "Open", the item leaves the list without a reload."""
    with api(own_server) as http:
        body = {"title": "Opgelost", "status": "resolved", "suggest": True,
                "texts": {"nl": "{reference} is opgelost."}}  # fmt: skip
        assert http.post("/v1/reply-templates", json=body).status_code == 201
    app = await signed_in_console(own_server.url, "moderator@mechelen.demo", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        row = next(i for i, s in enumerate(inbox.items[:-1]) if s.status == "in_progress")
        sub, after = inbox.items[row], inbox.items[row + 1]
        inbox.query_one(DataTable).move_cursor(row=row)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await choose(pilot, "Resolved")
        # The reply suggested for "resolved" is offered; no reply this time.
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ChoiceScreen) and "too" in app.screen.title_text,
        )
        await choose(pilot, "No reply")
        await settle(pilot)
        # Still under the cursor, greyed, so that the next key (a reply) is not for another
        # item; it goes when the cursor moves on, which lands on the item that followed.
        current = inbox.current()
        assert current is not None and current.id == sub.id and current.status == "resolved"
        assert inbox.leaving == sub.id
        await pilot.press("down")
        await settle(pilot)
        assert sub.id not in {s.id for s in inbox.items}
        assert inbox.query_one(DataTable).row_count == len(inbox.items)
        current = inbox.current()
        assert current is not None and current.id == after.id


def reject_on_server(live: LiveServer, submission_id: int) -> None:
    """A colleague closes an item (through the API, not this console)."""
    with api(live, "admin@mechelen.demo") as http:
        version = http.get(f"/v1/submissions/{submission_id}").json()["version"]
        done = http.patch(
            f"/v1/submissions/{submission_id}",
            json={"status": "rejected"},
            headers={"If-Match": f'"{version}"'},
        )
        assert done.status_code == 200, done.text


@pytest.mark.slow
async def test_the_inbox_follows_the_stream_and_catches_up_after_an_outage(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    """Without f5: an item a colleague rejects leaves the open view, and after the server
    was away the list is read again by itself, with what changed meanwhile."""
    app = await signed_in_console(
        own_server.url,
        "moderator@mechelen.demo",
        stream_options={"min_delay": 0.1, "honour_retry": False},
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        await wait_until(pilot, lambda: app.connection == "live")
        ids = [s.id for s in inbox.items]
        # Every timer it sets waits a moment: Textual's timer of 0 s divides by zero when
        # the clock moved between its start and its first tick (the console crashed).
        delays: list[float] = []
        set_timer = inbox.set_timer

        def recorded(delay: float, *args: Any, **kwargs: Any) -> Any:
            delays.append(delay)
            return set_timer(delay, *args, **kwargs)

        inbox.set_timer = recorded  # type: ignore[method-assign]

        def shown() -> set[int]:
            return {s.id for s in inbox.items}

        # (The cursor is on the first: a change to the item one looks at keeps it in view,
        # greyed, until the cursor moves on.)
        reject_on_server(own_server, ids[1])
        await wait_until(pilot, lambda: ids[1] not in shown())
        assert inbox.query_one(DataTable).row_count == len(inbox.items)
        own_server.stop()
        await wait_until(pilot, lambda: app.connection in ("reconnecting", "offline"))
        await pilot.press("f5")  # read while the server is away: it fails, and says so
        error = inbox.query_one("#inbox-error", Static)
        await wait_until(pilot, lambda: error.display)
        own_server.start()
        reject_on_server(own_server, ids[2])
        with api(own_server, "moderator@mechelen.demo") as http:
            made = http.post(
                "/v1/submissions",
                json={"category": "sidewalk", "channel": "phone", "address": "Bruul 12",
                      "description": "Tegel los (na de storing)"},
                headers={"Idempotency-Key": "after-the-outage"},
            )  # fmt: skip
            assert made.status_code == 201, made.text
            new_id = made.json()["id"]
        await wait_until(pilot, lambda: app.connection == "live", seconds=15)
        await wait_until(
            pilot, lambda: new_id in shown() and ids[2] not in shown() and ids[3] in shown()
        )
        assert not error.display
        # And on to another screen, as after any reload.
        await pilot.press("m")
        await settle(pilot)
        await pilot.pause(0.5)
        assert type(app.screen).__name__ == "MessagesScreen"
    assert delays and min(delays) > 0
