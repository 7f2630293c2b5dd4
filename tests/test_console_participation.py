"""Participation in the console and the CLI, on a real server: a survey's questions typed in
every language and type; its results opened from the messages screen, filtered on a small
neighbourhood ("< 5"), moving as answers arrive over the stream; a budget's proposals
accepted and rejected from the results; `buurt results`, `answers`, `proposals`."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from textual.widgets import DataTable, Static, TextArea

from console.cli import main
from console.composing import ComposeError, format_questions, parse_questions
from console.i18n import set_language
from console.screens.results import ResultsScreen
from console.screens.text_entry import TextEntryScreen
from tests.conftest import (
    MemoryKeyring,
    screen_lines,
    settle,
    signed_in_console,
    wait_until,
)
from tests.live import LiveServer
from tests.test_console_inbox import api, choose

if TYPE_CHECKING:  # a plugin of conftest, so that pytest rewrites its asserts
    from tests.console_helpers import CommandLine


SIZE = (150, 50)
QUESTIONS_TEXT = """Voelt u zich thuis? | Ja | Nee
  en: Do you feel at home? | Yes | No
[multiple 2] Wat mist u? | Groen | Bankjes | Speelplein
  en: What is missing? | Green | Benches | Play space
[scale] Hoe tevreden bent u?
  en: How satisfied are you?
[open] Wat wilt u nog zeggen?
  en: Anything else?"""


def test_questions_in_every_language_and_type() -> None:
    questions = parse_questions(QUESTIONS_TEXT, ["nl", "en"])
    assert [q["type"] for q in questions] == ["single", "multiple", "scale", "open"]
    assert questions[0]["question"] == {"nl": "Voelt u zich thuis?", "en": "Do you feel at home?"}
    assert questions[0]["choices"] == [{"nl": "Ja", "en": "Yes"}, {"nl": "Nee", "en": "No"}]
    assert questions[1]["max_choices"] == 2 and questions[2]["choices"] == []
    # Read back as typed, so editing a draft keeps every language.
    assert parse_questions(format_questions(questions, ["nl", "en"]), ["nl", "en"]) == questions
    for text, words in [
        ("Vraag? | Ja", "two choices"),
        ("[scale] Vraag? | 1 | 2", "without choices"),
        ("[multiple 5] Vraag? | a | b", "[multiple N]"),
        ("Vraag? | a | b\n  de: Frage? | a | b", "not a language"),
        ("Vraag? | a | b\n  en: Question? | a", "2 choices"),
        ("  en: Question? | a | b", "goes under"),
        ("Vraag? | a | b", "no en text"),
    ]:
        with pytest.raises(ComposeError, match=words.replace("[", r"\[")):
            parse_questions(text, ["nl", "en"])


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def publish(http: httpx.Client, kind: str, **fields: Any) -> dict:
    body = {
        "kind": kind, "title": {"nl": f"Een {kind}"}, "body": {"nl": "Doe mee."},
        "targets": "all", "action": "publish", **fields,
    }  # fmt: skip
    made = http.post("/v1/messages", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert made.status_code == 201, made.text
    return dict(made.json())


def resident(http: httpx.Client) -> dict[str, str]:
    token = http.post(
        "/v1/tokens", json={"name": "resident app", "scopes": ["participation:write"]}
    )
    return {"Authorization": f"Bearer {token.json()['token']}"}


def answer(
    http: httpx.Client, headers: dict, survey: int, key: str, hood: int, choice: int
) -> None:
    sent = http.post(
        f"/v1/participation/surveys/{survey}/responses", headers=headers,
        json={"id": key, "household": key, "neighbourhood_id": hood,
              "answers": [{"question": 0, "choice": choice}, {"question": 1, "choices": [0]},
                          {"question": 2, "value": 4}, {"question": 3, "text": f"Tekst {key}"}]},
    )  # fmt: skip
    assert sent.status_code == 201, sent.text


@pytest.fixture
def survey(own_server: LiveServer) -> dict[str, Any]:
    """A survey with 6 answers from one neighbourhood, 2 from another and 5 from a third
    (the 2 are "< 5", and the 5 are held back beside them: the 6 are shown)."""
    questions = parse_questions(QUESTIONS_TEXT, ["nl", "en"])
    with api(own_server) as http:
        made = publish(http, "survey", survey={"questions": questions, "closes_at": later(days=5)})
        hoods = sorted(
            http.get("/v1/neighbourhoods", params={"limit": 200}).json()["items"],
            key=lambda n: n["name"],
        )
        headers = resident(http)
        for i in range(6):
            answer(http, headers, made["id"], f"a{i}", hoods[0]["id"], i % 2)
        for i in range(2):
            answer(http, headers, made["id"], f"b{i}", hoods[1]["id"], 0)
        for i in range(5):
            answer(http, headers, made["id"], f"m{i}", hoods[2]["id"], 1)
    return {
        "message": made, "big": hoods[0], "small": hoods[1], "mid": hoods[2], "resident": headers
    }  # fmt: skip


async def open_results(pilot: Any, title: str) -> ResultsScreen:
    await pilot.press("m")
    await settle(pilot)
    table = pilot.app.screen.query_one(DataTable)
    row = next(i for i in range(table.row_count) if title in str(table.get_row_at(i)))
    table.move_cursor(row=row)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ResultsScreen))
    screen = pilot.app.screen
    await wait_until(pilot, lambda: screen.results is not None)
    return screen


@pytest.mark.slow
async def test_survey_results_in_the_console(
    own_server: LiveServer,
    console_home: Path,
    memory_keyring: MemoryKeyring,
    survey: dict[str, Any],
) -> None:
    app = await signed_in_console(
        own_server.url, "officer@mechelen.demo", stream_options={"min_delay": 0.1}
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_results(pilot, "Een survey")
        text = str(screen.query_one("#results-questions", Static).render())
        assert "Do you feel at home?" in text and "Yes" in text  # the person's language
        assert "5 responses" not in text
        state = str(screen.query_one("#results-state", Static).render())
        assert "13 responses" in state
        hoods = screen.query_one("#results-hoods", DataTable)
        counts = {
            str(hoods.get_row_at(i)[0]): str(hoods.get_row_at(i)[1]) for i in range(hoods.row_count)
        }
        assert counts[survey["big"]["name"]] == "6" and counts[survey["small"]["name"]] == "< 5"
        assert counts[survey["mid"]["name"]] == "hidden"
        # Filtered on the small neighbourhood: every count held back.
        await pilot.press("f")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ChoiceScreen")
        await choose(pilot, survey["small"]["name"])
        await wait_until(
            pilot,
            lambda: (
                screen.results is not None
                and screen.results.neighbourhood_id == survey["small"]["id"]
            ),
        )
        text = str(screen.query_one("#results-questions", Static).render())
        assert "hidden" in text and "%" not in text and "Tekst" not in text
        assert survey["small"]["name"] in str(screen.query_one("#results-state", Static).render())
        # Back to all; a new answer arrives over the stream and the results move.
        await pilot.press("f")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ChoiceScreen")
        await choose(pilot, "All neighbourhoods")
        await wait_until(
            pilot, lambda: screen.results is not None and screen.results.neighbourhood_id is None
        )
        header = screen.query_one("StatusHeader")
        await wait_until(pilot, lambda: header.connection == "live")
        with api(own_server) as http:
            answer(http, survey["resident"], survey["message"]["id"], "c0", survey["big"]["id"], 1)
        await wait_until(
            pilot,
            lambda: "14 responses" in str(screen.query_one("#results-state", Static).render()),
        )
        # The open answers, searchable.
        await pilot.press("o")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "OpenAnswersScreen")
        answers = app.screen
        await wait_until(pilot, lambda: len(answers.answers) == 14)
        assert answers.answers[0].text == "Tekst c0"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)


async def test_budget_proposals_decided_from_the_results(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    with api(own_server) as http:
        budget = publish(
            http, "citizen_budget", budget={"budget_eur": 20_000, "deadline": later(days=9)}
        )
        headers = resident(http)
        hood = http.get("/v1/neighbourhoods").json()["items"][0]["id"]
        for i, (title, cost) in enumerate([("Bankjes", 4_000), ("Zwembad", 900_000)]):
            made = http.post(
                f"/v1/participation/budgets/{budget['id']}/proposals", headers=headers,
                json={"id": f"p{i}", "household": f"h{i}", "neighbourhood_id": hood,
                      "title": title, "description": title, "cost_eur": cost},
            )  # fmt: skip
            assert made.status_code == 201
    app = await signed_in_console(own_server.url, "officer@mechelen.demo", language="nl")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_results(pilot, "Een citizen_budget")
        await wait_until(pilot, lambda: len(screen.proposals) == 2)
        table = screen.query_one("#results-proposals", DataTable)
        row = next(i for i, p in enumerate(screen.proposals) if p.title == "Bankjes")
        table.move_cursor(row=row)
        await pilot.press("a")
        await wait_until(
            pilot,
            lambda: any(p.title == "Bankjes" and p.state == "accepted" for p in screen.proposals),
        )
        row = next(i for i, p in enumerate(screen.proposals) if p.title == "Zwembad")
        table.move_cursor(row=row)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, TextEntryScreen))
        app.screen.query_one(TextArea).text = "Veel te duur voor het buurtbudget."
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: any(p.title == "Zwembad" and p.state == "rejected" for p in screen.proposals),
        )
        assert "Wacht" not in str(screen.query_one("#results-proposals-title", Static).render())
    with api(own_server) as http:
        listed = {p["title"]: p for p in http.get(f"/v1/messages/{budget['id']}/proposals").json()}
    assert listed["Bankjes"]["state"] == "accepted" and listed["Bankjes"]["decided_by_name"]
    assert listed["Zwembad"]["reason"] == "Veel te duur voor het buurtbudget."


def test_results_and_proposals_from_the_command_line(
    own_server: LiveServer, memory_keyring: MemoryKeyring, cli: CommandLine, survey: dict[str, Any]
) -> None:
    cli.signed_in(own_server.url, "officer@mechelen.demo")
    message = survey["message"]["id"]
    assert main(["results", str(message)]) == 0
    out = cli.output().out
    assert "13 responses" in out and "Do you feel at home?" in out and "< 5" in out
    assert main(["results", str(message), "--json"]) == 0
    data = json.loads(cli.output().out)
    assert data["count"] == 13 and data["questions"][0]["choices"][0]["count"] == 5
    assert main(["results", str(message), "--neighbourhood", survey["small"]["name"], "--csv"]) == 0
    rows = cli.output().out.splitlines()
    assert rows[0] == "section,item,label,count,share" and "< 5" in rows[1]
    assert all("< 5" in r or "hidden" in r for r in rows[1:])
    assert main(["results", str(message), "--neighbourhood", "Atlantis"]) == 2
    assert "Atlantis" in cli.output().err
    assert main(["answers", str(message), "--search", "tekst a1"]) == 0
    assert "Tekst a1" in cli.output().out
    assert main(["results", "999999"]) != 0
    err = cli.output().err
    assert err.startswith("error:") and "Traceback" not in err
    with api(own_server) as http:
        budget = publish(
            http, "citizen_budget", budget={"budget_eur": 9_000, "deadline": later(days=3)}
        )
        hood = survey["big"]["id"]
        made = http.post(
            f"/v1/participation/budgets/{budget['id']}/proposals", headers=survey["resident"],
            json={"id": "p", "household": "h", "neighbourhood_id": hood, "title": "Bomen",
                  "description": "Bomen.", "cost_eur": 8_000},
        ).json()  # fmt: skip
    assert main(["proposals", "list", str(budget["id"])]) == 0
    assert "Bomen" in cli.output().out
    with pytest.raises(SystemExit) as refused:  # --reason is required
        main(["proposals", "reject", str(made["id"])])
    assert refused.value.code == 2 and "--reason" in cli.output().err
    assert main(["proposals", "reject", str(made["id"]), "--reason", "Al gepland."]) == 0
    assert main(["proposals", "accept", str(made["id"])]) == 0  # no votes yet: may change
    assert main(["proposals", "list", str(budget["id"]), "--json"]) == 0
    [proposal] = json.loads(cli.output().out)
    assert proposal["state"] == "accepted" and proposal["version"] == 3


@pytest.mark.slow
async def test_open_answers_say_why_there_are_none(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    """A survey whose open question has no answer yet, and one without an open question:
    the results and the open answers say so, instead of an empty table."""
    title = f"Zeg het {uuid.uuid4().hex[:6]}"
    questions = parse_questions("[open] Wat wilt u zeggen?\n  en: Anything to say?", ["nl", "en"])
    with api(live_server) as http:
        publish(http, "survey", title={"nl": title}, survey={"questions": questions,
                "closes_at": later(days=5)})  # fmt: skip
        closed = parse_questions("Thuis? | Ja | Nee\n  en: At home? | Yes | No", ["nl", "en"])
        publish(http, "survey", title={"nl": "Kies " + title}, survey={"questions": closed,
                "closes_at": later(days=5)})  # fmt: skip
    app = await signed_in_console(live_server.url, "officer@mechelen.demo", live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_results(pilot, f"'{title}")
        text = str(screen.query_one("#results-questions", Static).render())
        assert "No answers yet" in text and "Press o" not in text
        await pilot.press("o")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "OpenAnswersScreen")
        answers = app.screen
        await settle(pilot)
        empty = answers.query_one("#answers-empty", Static)
        assert empty.display and not answers.query_one(DataTable).display
        assert "No open answers yet" in str(empty.render())
        assert 0 < empty.region.y < 20  # where the table would be, not under it
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_results(pilot, "Kies " + title)
        await pilot.press("o")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "OpenAnswersScreen")
        await settle(pilot)
        empty = app.screen.query_one("#answers-empty", Static)
        assert "no open question" in str(empty.render())


@pytest.mark.parametrize(
    ("language", "close"), [("en", "c Close now"), ("nl", "c Nu sluiten"), ("fr", "c Clôturer")]
)
@pytest.mark.slow
async def test_close_early_is_in_the_footer_while_it_can_be_used(
    own_server: LiveServer,
    console_home: Path,
    memory_keyring: MemoryKeyring,
    language: str,
    close: str,
) -> None:
    """`c` closes a survey early: the footer offers it (at 80 columns too) while the survey
    is open and the person may close it, and no longer once it is closed."""
    from textual.widgets import Footer

    from console.screens.confirm import ConfirmScreen

    title = f"Vroeg dicht {uuid.uuid4().hex[:6]}"
    questions = parse_questions("Thuis? | Ja | Nee\n  en: At home? | Yes | No", ["nl", "en"])
    with api(own_server) as http:
        publish(http, "survey", title={"nl": title},
                survey={"questions": questions, "closes_at": later(days=5)})  # fmt: skip

    def footer(app: Any) -> str:
        return " ".join(
            f"{app.get_key_display(a.binding)} {a.binding.description}"
            for a in app.screen.active_bindings.values()
            if a.binding.show and a.enabled
        )

    app = await signed_in_console(own_server.url, "officer@mechelen.demo", language, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_results(pilot, title)
        await settle(pilot)
        assert close in footer(app)
        # Whole on the line at 80 columns, not cut at the edge.
        last = screen_lines(app)[-1]
        assert screen.query_one(Footer) and close in last, last
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await wait_until(pilot, lambda: screen.results is not None and not screen.results.open)
        await settle(pilot)
        assert close not in footer(app)
    set_language("en")
