"""Reply templates and reports taken for residents, through the pilot on a real server:
`r` starts from a template filled in for the submission, a status change offers the one
suggested for it, and `N` enters a phone report (what was typed stays when it is refused)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from textual.widgets import Input, OptionList, Select, Static, TextArea

from console.cli import main
from console.screens.choice import ChoiceScreen
from console.screens.intake import IntakeScreen
from console.screens.text_entry import TextEntryScreen
from console.widgets.field_error import FieldError
from tests.conftest import MemoryKeyring, settle, signed_in_console, wait_until
from tests.live import LiveServer
from tests.test_console_inbox import api, choose, to_inbox

if TYPE_CHECKING:  # a plugin of conftest, so that pytest rewrites its asserts
    from textual.pilot import Pilot

    from console.screens.templates import TemplatesScreen
    from tests.console_helpers import CommandLine


SIZE = (160, 45)


async def to_templates(pilot: Pilot[None]) -> TemplatesScreen:
    """From the dashboard: the inbox, then `T`, and wait for the templates to have loaded."""
    from console.screens.templates import TemplatesScreen

    await to_inbox(pilot)
    await pilot.press("T")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, TemplatesScreen))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TemplatesScreen)
    return screen


@pytest.mark.slow
async def test_replies_start_from_templates_filled_in(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    with api(own_server) as http:
        for body in (
            {"title": "Ontvangen", "texts": {"nl": "Dank u voor melding {reference}."}},
            {"title": "Aan de slag", "status": "in_progress", "suggest": True,
             "texts": {"nl": "{reference} is nu: {status}. Groet, {staff_name}"}},
        ):  # fmt: skip
            assert http.post("/v1/reply-templates", json=body).status_code == 201
    app = await signed_in_console(own_server.url, "moderator@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        await pilot.press("v")  # the new ones
        await settle(pilot)
        sub = inbox.items[0]
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await choose(pilot, "Ontvangen")
        await wait_until(pilot, lambda: isinstance(app.screen, TextEntryScreen))
        area = app.screen.query_one(TextArea)
        assert area.text == f"Dank u voor melding #{sub.id}."
        area.text += " We komen kijken."
        await pilot.press("ctrl+s")
        await settle(pilot)
        # A status change offers the template suggested for it, filled in.
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await choose(pilot, "In progress")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ChoiceScreen) and "too" in app.screen.title_text,
        )
        # The suggested one keeps its ★ here too, as when `r` offers it.
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert prompts == ["Aan de slag ★", "No reply"]
        await choose(pilot, "Aan de slag")
        await wait_until(pilot, lambda: isinstance(app.screen, TextEntryScreen))
        assert app.screen.query_one(TextArea).text == (
            f"#{sub.id} is nu: In behandeling. Groet, Sofie Janssens"
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Bulk: two new ones acknowledged, each with its own filled-in reply.
        table = inbox.query_one("DataTable")
        pair = [s for s in inbox.items if s.status == "new" and s.id != sub.id][:2]
        for other in pair:
            table.move_cursor(row=inbox.items.index(other))
            await pilot.press("space")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await choose(pilot, "Acknowledged")
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, ChoiceScreen) and "Reply to each" in app.screen.title_text
            ),
        )
        await choose(pilot, "Ontvangen")
        await settle(pilot)
    with api(own_server) as http:
        for other in pair:
            theirs = http.get(f"/v1/submissions/{other.id}").json()
            assert theirs["status"] == "acknowledged"
            assert [h["text"] for h in theirs["history"] if h["kind"] == "reply"] == [
                f"Dank u voor melding #{other.id}."
            ]
        history = http.get(f"/v1/submissions/{sub.id}").json()["history"]
    replies = [h["text"] for h in history if h["kind"] == "reply"]
    assert replies == [
        f"Dank u voor melding #{sub.id}. We komen kijken.",
        f"#{sub.id} is nu: In behandeling. Groet, Sofie Janssens",
    ]


@pytest.mark.slow
async def test_a_phone_report_taken_in_the_inbox(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await signed_in_console(own_server.url, "moderator@mechelen.demo", language="nl")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        await pilot.press("N")
        await wait_until(pilot, lambda: isinstance(app.screen, IntakeScreen))
        form = app.screen
        form.query_one("#intake-category", Select).value = "sidewalk"
        form.query_one("#intake-description", TextArea).text = "Tegel los aan de Bruul."
        form.query_one("#intake-name", Input).value = "Marc Peeters"
        await pilot.press("ctrl+s")
        await pilot.pause()
        # No place yet: said in Dutch under the neighbourhood, which has the cursor; nothing
        # typed is lost.
        error = form.query_one(FieldError)
        assert "adres" in str(error.render())
        hood = form.query_one("#intake-neighbourhood")
        assert app.focused is hood and error.region.y == hood.region.bottom
        assert form.query_one("#intake-description", TextArea).text == "Tegel los aan de Bruul."
        form.query_one("#intake-address", Input).value = "Bruul 12"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, IntakeScreen))
        await settle(pilot)
        made = next(s for s in inbox.items if s.description == "Tegel los aan de Bruul.")
        assert made.channel == "phone" and made.entered_by_name == "Sofie Janssens"
        inbox.query_one("DataTable").move_cursor(row=inbox.items.index(made))
        await wait_until(
            pilot,
            lambda: "telefoon" in str(inbox.query_one("#detail-text", Static).render()).lower(),
        )


@pytest.mark.slow
async def test_a_desk_report_placed_on_the_map(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    """The place of a report taken at the desk picked on the map: it starts on the chosen
    neighbourhood, the + is moved, enter takes it; the server files it where it was put."""
    from console.screens.map import MapScreen

    app = await signed_in_console(own_server.url, "moderator@mechelen.demo", language="fr")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await to_inbox(pilot)
        await pilot.press("N")
        await wait_until(pilot, lambda: isinstance(app.screen, IntakeScreen))
        form = app.screen
        assert isinstance(form, IntakeScreen)
        hood = next(n for n in form.neighbourhoods if n.name == "Nekkerspoel")
        form.query_one("#intake-neighbourhood", Select).value = hood.id
        form.query_one("#intake-category", Select).value = "sidewalk"
        form.query_one("#intake-channel", Select).value = "desk"
        form.query_one("#intake-description", TextArea).text = "Trou dans le trottoir."
        form.query_one("#intake-map").press()
        await wait_until(pilot, lambda: isinstance(app.screen, MapScreen) and app.screen.loaded)
        picker = app.screen
        assert isinstance(picker, MapScreen) and picker.pick_place
        assert "+" in str(picker.query_one("#map-title", Static).render())
        assert (picker.view.lat, picker.view.lon) == (hood.lat, hood.lon)
        await pilot.press("plus", "left", "down")
        lat, lon = picker.view.lat, picker.view.lon
        assert lon < hood.lon and lat < hood.lat  # type: ignore[operator]
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is form)
        assert f"{lat:.5f}" in str(form.query_one("#intake-point", Static).render())
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, IntakeScreen))
    with api(own_server, "moderator@mechelen.demo") as http:
        made = next(
            s
            for s in http.get("/v1/submissions", params={"channel": "desk", "limit": 200}).json()[
                "items"
            ]
            if s["description"] == "Trou dans le trottoir."
        )
    assert made["lat"] == pytest.approx(lat) and made["lon"] == pytest.approx(lon)
    assert made["neighbourhood_id"] == hood.id


@pytest.mark.slow
async def test_admins_keep_the_templates_in_the_console(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    """`T` in the inbox: an admin writes a template (a misspelt placeholder is refused with
    its name and nothing typed is lost), changes it, meets a colleague's change, deletes it;
    a moderator reads them and is told that changing them is for admins."""
    from textual.widgets import Checkbox, DataTable, SelectionList

    from console.screens.confirm import ConfirmScreen
    from console.screens.template_form import TemplateFormScreen
    from console.screens.templates import TemplatesScreen

    app = await signed_in_console(own_server.url, "admin@mechelen.demo", language="nl")
    async with app.run_test(size=(120, 45)) as pilot:
        await settle(pilot)
        screen = await to_templates(pilot)
        assert "n" in str(screen.query_one("#templates-texts", Static).render())
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, TemplateFormScreen))
        form = app.screen
        assert isinstance(form, TemplateFormScreen)
        assert form.languages == ["nl", "en"]  # as Mechelen speaks to its residents
        form.query_one("#template-name", Input).value = "Sluikstort"
        form.query_one("#template-status", Select).value = "resolved"
        form.query_one("#template-suggest", Checkbox).value = True
        form.query_one("#template-categories", SelectionList).select("illegal-dumping")
        text = form.query_one("#template-text-nl", TextArea)
        text.text = "Melding {referentie} is opgeruimd."
        await pilot.press("ctrl+s")
        # Under the text that holds the unknown placeholder, with the cursor in it.
        await wait_until(pilot, lambda: bool(form.query(FieldError)))
        error = str(form.query_one(FieldError).render())
        assert "referentie" in error and app.focused is text
        assert form.query_one(FieldError).region.y == text.region.bottom
        assert text.text == "Melding {referentie} is opgeruimd."  # kept
        text.text = "Melding {reference} is opgeruimd. Groet, {staff_name}"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        await settle(pilot)
        table = screen.query_one(DataTable)
        assert table.row_count == 1
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[0] == "Sluikstort" and row[1] == "Opgelost" and row[2] == "★" and row[3] == "NL"
        assert "{staff_name}" in str(screen.query_one("#templates-texts", Static).render())
        made = screen.templates[0]
        # A colleague changes it while this admin has it open.
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TemplateFormScreen))
        form = app.screen
        assert isinstance(form, TemplateFormScreen)
        assert form.query_one("#template-categories", SelectionList).selected == ["illegal-dumping"]
        with api(own_server) as http:
            changed = http.patch(
                f"/v1/reply-templates/{made.id}",
                json={"title": "Sluikstort opgeruimd"},
                headers={"If-Match": f'"{made.version}"'},
            )
            assert changed.status_code == 200
        form.query_one("#template-name", Input).value = "Opgeruimd"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.query_one("#template-error").display)
        assert "collega" in str(form.query_one("#template-error", Static).render())
        assert form.query_one("#template-name", Input).value == "Opgeruimd"
        await pilot.press("escape")  # what was typed is lost: asked first
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await wait_until(pilot, lambda: app.screen is screen)
        await settle(pilot)
        assert str(screen.query_one(DataTable).get_row_at(0)[0]) == "Sluikstort opgeruimd"
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#confirm-yes")
        await wait_until(pilot, lambda: app.screen is screen)
        await settle(pilot)
        assert screen.query_one(DataTable).row_count == 0
    with api(own_server) as http:
        assert http.get("/v1/reply-templates").json() == []
        actions = [e["action"] for e in http.get("/v1/audit", params={"limit": 50}).json()["items"]]
    assert {"reply_template.created", "reply_template.updated", "reply_template.deleted"} <= set(
        actions
    )

    moderator = await signed_in_console(own_server.url, "moderator@mechelen.demo")
    async with moderator.run_test(size=(120, 45)) as pilot:
        await settle(pilot)
        await to_templates(pilot)
        hint = str(moderator.screen.query_one("#templates-hint", Static).render())
        assert "admin" in hint
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(moderator.screen, TemplatesScreen)  # no form to fill in for nothing


def test_templates_and_phone_reports_from_the_command_line(
    own_server: LiveServer, memory_keyring: MemoryKeyring, cli: CommandLine
) -> None:
    cli.signed_in(own_server.url, "admin@mechelen.demo")
    code = main([
        "templates", "add", "--title", "Opgelost", "--status", "resolved", "--suggest",
        "--text", "nl=Melding {reference} is opgelost. {staff_name}",
        "--text", "en=Report {reference} is resolved. {staff_name}",
    ])  # fmt: skip
    assert code == 0
    template_id = int(cli.output().out.strip())
    # An unknown placeholder: refused when saved, the reason on stderr, exit 4.
    assert main(["templates", "add", "--title", "Fout", "--text", "nl=Dag {naam}"]) == 4
    assert "{naam}" in cli.output().err
    assert main(["templates", "add", "--title", "Fout", "--text", "zonder-gelijkteken"]) == 2
    cli.output()
    assert main(["templates", "edit", str(template_id), "--title", "Afgehandeld"]) == 0
    assert main(["templates", "list", "--json"]) == 0
    [listed] = json.loads(cli.output().out)
    assert listed["title"] == "Afgehandeld" and listed["version"] == 2 and listed["suggest"]

    cli.signed_in(own_server.url, "moderator@mechelen.demo")
    code = main([
        "submissions", "create", "--category", "street-light", "--channel", "desk",
        "--description", "Lamp brandt niet meer.", "--address", "IJzerenleen 5",
        "--name", "An Claes", "--key", "desk-001",
    ])  # fmt: skip
    assert code == 0
    made = int(cli.output().out.strip())
    # The same key again (a script that retried): the same submission.
    again = main([
        "submissions", "create", "--category", "street-light", "--channel", "desk",
        "--description", "Lamp brandt niet meer.", "--address", "IJzerenleen 5",
        "--name", "An Claes", "--key", "desk-001",
    ])  # fmt: skip
    assert again == 0 and int(cli.output().out.strip()) == made
    assert main(["submissions", "list", "--channel", "desk", "--json"]) == 0
    assert [s["id"] for s in json.loads(cli.output().out)] == [made]
    assert main(["submissions", "create", "--category", "x", "--channel", "desk",
                 "--description", "Waar?"]) == 2  # fmt: skip
    cli.output()
    # Acknowledge, then resolve with the template's reply, filled in for it.
    assert main(["submissions", "update", str(made), "--status", "acknowledged"]) == 0
    code = main([
        "submissions", "update", str(made), "--status", "resolved",
        "--reply-template", "afgehandeld", "--json",
    ])  # fmt: skip
    assert code == 0
    detail = json.loads(cli.output().out)
    assert detail["status"] == "resolved" and detail["channel"] == "desk"
    replies = [h["text"] for h in detail["history"] if h["kind"] == "reply"]
    assert replies == [f"Melding #{made} is opgelost. Sofie Janssens"]
    assert main(["submissions", "update", str(made), "--reply-template", "nope"]) == 2
    assert "Afgehandeld" in cli.output().err


@pytest.mark.slow
async def test_an_item_assigned_to_you_is_told_at_once(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await signed_in_console(
        own_server.url, "moderator@mechelen.demo", stream_options={"min_delay": 0.1}
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header = app.screen.query_one("StatusHeader")
        await wait_until(pilot, lambda: header.connection == "live")
        with api(own_server) as http:
            me = http.get("/v1/staff").json()
            moderator = next(s for s in me if s["name"] == "Sofie Janssens")
            sub = http.get("/v1/submissions", params={"status": "new"}).json()["items"][0]
            # Someone else's change that is not an assignment: nothing to tell.
            http.patch(f"/v1/submissions/{sub['id']}", json={"priority": "high"},
                       headers={"If-Match": f'"{sub["version"]}"'})  # fmt: skip
            http.patch(f"/v1/submissions/{sub['id']}",
                       json={"assignee_account_id": moderator["id"]},
                       headers={"If-Match": f'"{sub["version"] + 1}"'})  # fmt: skip

        def told() -> list[str]:
            return [str(n.message) for n in app._notifications]

        await wait_until(pilot, lambda: any(f"#{sub['id']}" in m for m in told()))
        [message] = [m for m in told() if f"#{sub['id']}" in m]
        assert "Jan Van den Broeck" in message  # who handed it over
    # Assigning it to yourself tells you nothing.
    app = await signed_in_console(
        own_server.url, "moderator@mechelen.demo", stream_options={"min_delay": 0.1}
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        header = inbox.query_one("StatusHeader")
        await wait_until(pilot, lambda: header.connection == "live")
        row, target = next(
            (i, s) for i, s in enumerate(inbox.items) if s.assignee_name != "Sofie Janssens"
        )
        inbox.query_one("DataTable").move_cursor(row=row)
        await pilot.press("i")
        await settle(pilot)
        await wait_until(
            pilot,
            lambda: any(s.id == target.id and s.assignee_name == "Sofie Janssens"
                        for s in inbox.items),
        )  # fmt: skip
        await pilot.pause(1.0)  # time for its stream event to arrive
        assert not [n for n in app._notifications if "assigned to you" in str(n.message)]


@pytest.mark.slow
async def test_workload_is_a_key_away_from_the_inbox(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    from console.screens.workload import WorkloadScreen

    app = await signed_in_console(live_server.url, "moderator@mechelen.demo", language="nl")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkloadScreen))
        screen = app.screen
        departments = screen.workload.departments
        assert departments and sum(d.open for d in departments) == sum(
            a.open for a in screen.workload.assignees
        )
        await pilot.press("tab")  # to the departments
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, WorkloadScreen))
        await settle(pilot)
        first = departments[0]
        assert {s.department for s in inbox.items} == {first.department}
        assert len(inbox.items) == first.open
        assert first.department in str(inbox.query_one("#inbox-filters", Static).render())
        # Another view: everyone's again.
        await pilot.press("v")
        await settle(pilot)
        assert len({s.department for s in inbox.items}) > 1


@pytest.mark.slow
async def test_handing_work_to_a_colleague_or_a_department(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    from console.screens.assign import AssignScreen

    app = await signed_in_console(own_server.url, "moderator@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        first = inbox.items[0]
        # A department, found by a few letters of its name.
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AssignScreen))
        listing = app.screen.query_one("OptionList")
        department = first.category.department
        await pilot.press(*department[:6].lower())
        await pilot.pause()
        labels = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert labels and all(department[:6].lower() in label.lower() for label in labels)
        await pilot.press("enter")
        await settle(pilot)
        assert inbox.items[0].department == department
        # Two selected ones to a colleague, through the bulk change.
        table = inbox.query_one("DataTable")
        pair = inbox.items[1:3]
        for sub in pair:
            table.move_cursor(row=inbox.items.index(sub))
            await pilot.press("space")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await choose(pilot, "colleague")
        await wait_until(pilot, lambda: isinstance(app.screen, AssignScreen))
        await pilot.press(*"jan van", "enter")
        await settle(pilot)
    with api(own_server) as http:
        for sub in pair:
            assert http.get(f"/v1/submissions/{sub.id}").json()["assignee_name"] == (
                "Jan Van den Broeck"
            )


@pytest.mark.slow
@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_map_of_the_inbox(
    live_server: LiveServer,
    console_home: Path,
    memory_keyring: MemoryKeyring,
    size: tuple[int, int],
) -> None:
    """`M` draws every item of the inbox's filter (not only the loaded rows) among the city's
    neighbourhoods; zoom and pan move the view, space takes the point nearest the centre with
    its possible duplicates, enter opens it in the inbox."""
    from console.mapview import nearest
    from console.screens.map import MapScreen

    with api(live_server, "moderator@mechelen.demo") as http:
        placed = {
            s["id"]
            for s in http.get("/v1/submissions", params={"status": "new", "limit": 200}).json()[
                "items"
            ]
            if s["lat"] is not None
        }
        overdue = {
            s["id"]
            for s in http.get("/v1/submissions", params={"overdue": "true", "limit": 200}).json()[
                "items"
            ]
            if s["lat"] is not None
        }
    assert placed and overdue and placed != overdue
    app = await signed_in_console(live_server.url, "moderator@mechelen.demo")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        await pilot.press("v")  # the new ones: the map shows this filter's items only
        await settle(pilot)
        await pilot.press("M")
        await wait_until(pilot, lambda: isinstance(app.screen, MapScreen) and app.screen.loaded)
        screen = app.screen
        assert isinstance(screen, MapScreen)
        assert {p.key for p in screen.points} == placed
        assert len(screen.hoods) == 20  # Mechelen's neighbourhoods, with their names
        assert {h.label for h in screen.hoods} >= {"Arsenaal", "Nekkerspoel"}
        title = str(screen.query_one("#map-title", Static).render())
        assert f"{len(placed)} in view" in title  # the whole filter fits the first view
        # Zoom in: fewer in view; pan; space takes the one nearest the centre.
        span = screen.view.span
        await pilot.press("plus", "plus")
        assert screen.view.span < span
        assert sum(1 for p in screen.points if screen.view.contains(p)) < len(placed)
        centre = screen.view.lon
        await pilot.press("right")
        assert screen.view.lon > centre
        await pilot.press("space")
        expected = nearest(
            [p for p in screen.points if screen.view.contains(p)] or screen.points,
            screen.view.lon,
            screen.view.lat,
        )
        assert expected is not None and screen.selected == expected.key
        await wait_until(
            pilot,
            lambda: f"#{expected.key}" in str(screen.query_one("#map-status", Static).render()),
        )
        await pilot.press("c")
        assert screen.by_category
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is inbox)
        await wait_until(pilot, lambda: inbox.detail is not None)
        current = inbox.current()
        assert current is not None and current.id == expected.key
        assert inbox.detail is not None and inbox.detail.id == expected.key
        # Another list, another map: the overdue ones.
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("M")
        await wait_until(pilot, lambda: isinstance(app.screen, MapScreen) and app.screen.loaded)
        assert isinstance(app.screen, MapScreen)
        assert {p.key for p in app.screen.points} == overdue
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is inbox)


@pytest.mark.slow
async def test_forms_ask_before_their_text_is_thrown_away(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    """Escape on a reply, a note or a report taken for a resident with something typed asks
    first; "Cancel" keeps every word, an untouched form closes at once."""
    from console.screens.confirm import ConfirmScreen

    app = await signed_in_console(live_server.url, "moderator@mechelen.demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        inbox = await to_inbox(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, TextEntryScreen))
        note = app.screen
        await pilot.press(*"bel de aannemer")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")  # no: back to the note
        await wait_until(pilot, lambda: app.screen is note)
        assert note.query_one(TextArea).text == "bel de aannemer"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await wait_until(pilot, lambda: app.screen is inbox)
        # Untouched: closes at once.
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, TextEntryScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is inbox)
        await pilot.press("N")
        await wait_until(pilot, lambda: isinstance(app.screen, IntakeScreen))
        form = app.screen
        form.query_one("#intake-description", TextArea).text = "Tegel los."
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is form)
        assert form.query_one("#intake-description", TextArea).text == "Tegel los."


@pytest.mark.slow
@pytest.mark.parametrize("email", ["moderator@mechelen.demo", "admin@mechelen.demo"])
async def test_the_templates_screen_offers_only_the_keys_one_may_use(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring, email: str
) -> None:
    """The hint, the empty list's words and the footer agree: a moderator reads templates
    (no n, e, d anywhere), an admin is offered them everywhere."""

    app = await signed_in_console(own_server.url, email, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await to_templates(pilot)
        footer = {
            a.binding.id
            for a in screen.active_bindings.values()
            if a.binding.show and a.enabled and a.binding.id
        }
        words = " ".join(
            str(screen.query_one(f"#{name}", Static).render())
            for name in ("templates-hint", "templates-texts")
        )
        if email.startswith("admin"):
            assert {"template_new", "template_edit", "template_delete"} <= footer
            assert "n " in words
        else:
            assert not {"template_new", "template_edit", "template_delete"} & footer
            assert "Press n" not in words and "n new" not in words
            assert "Only admins" in words
