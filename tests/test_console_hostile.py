"""Hostile text never acts in the console: terminal escapes, markup, formulas, very long and
unusual text, typed by residents (Open311 reports, open answers, proposals) and by staff
(reply templates, city messages, replies, notes), go through the real server into every
field, and the real app shows them on every screen that displays them, at 80 by 24 and at
160 by 48. The app keeps running on the screen it was on (a `[@click=app.quit]` does not
act, a `[/]` does not raise MarkupError), no control character reaches what is drawn, and a
`[/]` shows as typed.

The server cleans control characters on the way in; so that raw ones really reach the
console's client edge regardless, the same text is also written straight into the database.
"""

from __future__ import annotations

import contextlib
import html
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select, update
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Markdown, OptionList, Static

from console.app import BuurtApp
from console.composing import parse_questions
from console.screens.assign import AssignScreen
from console.screens.choice import ChoiceScreen
from console.screens.compose import ComposeScreen
from console.screens.dashboard import DashboardScreen
from console.screens.inbox import InboxScreen
from console.screens.map import MapScreen
from console.screens.message_view import MessageView
from console.screens.messages import MessagesScreen
from console.screens.open_answers import OpenAnswersScreen
from console.screens.overview import OverviewScreen
from console.screens.results import ResultsScreen
from console.screens.statistics import StatisticsScreen
from console.screens.templates import TemplatesScreen
from console.screens.text_entry import TextEntryScreen
from console.screens.workload import WorkloadScreen
from server import models
from tests.conftest import DEMO_PASSWORD, MemoryKeyring, settle, signed_in_console, wait_until
from tests.live import LiveServer

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]
ADMIN = "admin@mechelen.demo"
MARKER = "zzhostile"

LONG = ("Tien duizend tekens, " * 500)[:10_000]
HOSTILE: dict[str, str] = {
    "osc52": "\x1b]52;c;ZWNobyBoaQ==\x07",
    "osc0": "\x1b]0;pwned\x07",
    "osc8": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "csi": "\x1b[2J",
    "c1-csi": "\x9b31m",
    "bel": "ring\x07ring",
    "nul": "nul\x00byte",
    "del": "del\x7fete",
    "bidi": "\u202eexe.txt",
    "close": "[/]",
    "link": "[link=https://evil.example]click[/link]",
    "style": "[bold red]loud",
    "action": "[@click=app.quit]x[/]",
    "open": "[bold",
    "formula": '=HYPERLINK("http://evil.example","x")',
    "plus": "+1",
    "minus": "-2",
    "at": "@SUM(A1)",
    "long": LONG,
    "emoji": "👩‍👩‍👧‍👦 🇧🇪 e\u0301 Z\u0324\u0354\u0367\u0311\u0313 a\u0338 ﷽",
}
# Short enough for any name or title (120 characters), starting with what must show as typed.
MIX = (
    "[/] \x1b]0;pwned\x07 [@click=app.quit]x[/] \x9b31m \u202eevil [link=https://evil.example]"
    "c[/link] [bold \x00\x7f\x07 👩‍👩‍👧 e\u0301 =HYPERLINK(1)"
)
assert len(MIX) <= 120
# Every hostile string at once, for the long texts written straight into the database.
EVERYTHING = "[/] " + "\n".join(HOSTILE.values())
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\x00", "\x7f", "\u202e")


def sendable(text: str) -> str:
    """Without NUL, which the routes refuse (no database can store it)."""
    return text.replace("\x00", "")


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


@dataclass
class Hostile:
    """The server with hostile text everywhere, and where it went."""

    server: LiveServer
    reports: list[int] = field(default_factory=list)  # through Open311, one per string
    raw_report: int = 0  # its text written straight into the database
    templates: int = 0
    messages: list[int] = field(default_factory=list)
    raw_message: int = 0
    survey: int = 0
    budget: int = 0
    raw_proposal: int = 0
    proposals: int = 0
    answers: int = 0
    refused: list[str] = field(default_factory=list)  # what the server refused (never a 500)

    @property
    def url(self) -> str:
        return self.server.url


def accepted(response: httpx.Response, what: str, into: list[str]) -> bool:
    """A hostile text is taken or refused as a problem, never a crash."""
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        into.append(what)
        return False
    return True


def seed(server: LiveServer) -> Hostile:
    """Every field residents and staff can fill, through the routes; then raw text straight
    into the database."""
    found = Hostile(server)
    refused = found.refused
    with httpx.Client(base_url=server.url, timeout=30) as http:
        token = http.post("/v1/auth/token", json={"email": ADMIN, "password": DEMO_PASSWORD})
        http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        me = http.get("/v1/me").json()
        # An Open311 report per string: description, names, e-mail, address.
        key = http.post("/v1/tokens", json={"name": "app", "scopes": ["open311:submit"]}).json()
        for name, text in HOSTILE.items():
            made = http.post(
                "/open311/v2/requests.json",
                data={
                    "api_key": key["token"], "jurisdiction_id": "mechelen",
                    "service_code": "illegal-dumping", "lat": "51.0262", "long": "4.4780",
                    "description": f"{MARKER} {name} {text}", "first_name": text,
                    "last_name": text, "email": text, "address_string": text,
                },
            )  # fmt: skip
            if accepted(made, f"open311 {name}", refused):
                found.reports.append(int(made.json()[0]["service_request_id"]))
        # The fields with refused text, once more without it: every report can be read.
        plain = http.post(
            "/open311/v2/requests.json",
            data={
                "api_key": key["token"], "jurisdiction_id": "mechelen",
                "service_code": "illegal-dumping", "lat": "51.0262", "long": "4.4780",
                "description": f"{MARKER} raw", "first_name": "Raw", "email": "raw@example.org",
                "address_string": "Grote Markt 1",
            },
        )  # fmt: skip
        assert plain.status_code == 200, plain.text
        found.raw_report = int(plain.json()[0]["service_request_id"])
        # Replies and internal notes with every string, on the raw one; assigned to the admin.
        for name, text in HOSTILE.items():
            for kind in ("replies", "notes"):
                sent = http.post(
                    f"/v1/submissions/{found.raw_report}/{kind}", json={"text": f"{name} {text}"}
                )
                accepted(sent, f"{kind} {name}", refused)
        now = http.get(f"/v1/submissions/{found.raw_report}").json()
        assigned = http.patch(
            f"/v1/submissions/{found.raw_report}",
            json={"assignee_account_id": me["id"]},
            headers={"If-Match": f'"{now["version"]}"'},
        )
        assert assigned.status_code == 200, assigned.text
        # Reply templates: title and text.
        for name, text in HOSTILE.items():
            made = http.post(
                "/v1/reply-templates", json={"title": text[:120], "texts": {"nl": text}}
            )
            if accepted(made, f"template {name}", refused):
                found.templates += 1
        raw_template = http.post(
            "/v1/reply-templates", json={"title": "raw", "texts": {"nl": "raw"}}
        ).json()["id"]
        # City messages: title and body.
        for name, text in HOSTILE.items():
            made = http.post(
                "/v1/messages",
                json={
                    "kind": "announcement", "title": {"nl": text[:140]}, "body": {"nl": text},
                    "targets": "all", "action": "publish",
                },
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )  # fmt: skip
            if accepted(made, f"message {name}", refused):
                found.messages.append(int(made.json()["id"]))
        found.raw_message = publish(http, "announcement", title="raw message")["id"]
        # A survey with an open question: an answer per string.
        questions = parse_questions("[open] Wat wilt u nog zeggen?", ["nl"])
        found.survey = publish(
            http, "survey", title=f"{sendable(MIX)} survey",
            survey={"questions": questions, "closes_at": later(days=5)},
        )["id"]  # fmt: skip
        resident = http.post(
            "/v1/tokens", json={"name": "resident app", "scopes": ["participation:write"]}
        ).json()["token"]
        residents = {"Authorization": f"Bearer {resident}"}
        hoods = http.get("/v1/neighbourhoods", params={"limit": 200}).json()["items"]
        hood = hoods[0]["id"]
        for n, (name, text) in enumerate(HOSTILE.items()):
            sent = http.post(
                f"/v1/participation/surveys/{found.survey}/responses", headers=residents,
                json={"id": f"a{n}", "household": f"h{n}", "neighbourhood_id": hood,
                      "answers": [{"question": 0, "text": text}]},
            )  # fmt: skip
            if accepted(sent, f"answer {name}", refused):
                found.answers += 1
        # A citizen budget: a proposal per string (title, description).
        found.budget = publish(
            http, "citizen_budget", title=f"{sendable(MIX)} budget",
            budget={"budget_eur": 50_000, "deadline": later(days=9)},
        )["id"]  # fmt: skip
        for n, (name, text) in enumerate(HOSTILE.items()):
            made = http.post(
                f"/v1/participation/budgets/{found.budget}/proposals", headers=residents,
                json={"id": f"p{n}", "household": f"h{n}", "neighbourhood_id": hood,
                      "title": text[:140], "description": text, "cost_eur": 1_000 + n},
            )  # fmt: skip
            if accepted(made, f"proposal {name}", refused):
                found.proposals += 1
        raw = http.post(
            f"/v1/participation/budgets/{found.budget}/proposals", headers=residents,
            json={"id": "praw", "household": "hraw", "neighbourhood_id": hood,
                  "title": "raw", "description": "raw", "cost_eur": 999},
        )  # fmt: skip
        assert raw.status_code == 201, raw.text
        proposals = http.get(f"/v1/messages/{found.budget}/proposals").json()
        found.raw_proposal = next(p["id"] for p in proposals if p["title"] == "raw")
        found.proposals += 1
        sub = http.get(f"/v1/submissions/{found.raw_report}").json()
    write_raw(server.database, found, me, sub, raw_template)
    return found


def publish(http: httpx.Client, kind: str, title: str, **fields: Any) -> dict:
    made = http.post(
        "/v1/messages",
        json={"kind": kind, "title": {"nl": title}, "body": {"nl": sendable(EVERYTHING)[:4000]},
              "targets": "all", "action": "publish", **fields},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return dict(made.json())


def write_raw(database: Path, found: Hostile, me: dict, sub: dict, template: int) -> None:
    """The same text with its control characters, straight into the database (as if the
    server had not cleaned it): the console's own edge is what is tested."""
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as db:
        db.execute(
            update(models.Submission)
            .where(models.Submission.id == found.raw_report)
            .values(description=EVERYTHING, reporter_name=MIX, reporter_contact=MIX, address=MIX)
        )
        entries = db.execute(
            select(models.SubmissionEntry.id).where(
                models.SubmissionEntry.submission_id == found.raw_report,
                models.SubmissionEntry.kind.in_(("reply", "note")),
            )
        ).scalars()
        for entry, text in zip(entries, HOSTILE.values(), strict=False):
            db.execute(
                update(models.SubmissionEntry)
                .where(models.SubmissionEntry.id == entry)
                .values(text=f"[/] {text}")
            )
        db.execute(
            update(models.ReplyTemplate)
            .where(models.ReplyTemplate.id == template)
            .values(title=MIX, texts={"nl": EVERYTHING})
        )
        db.execute(
            update(models.CityMessage)
            .where(models.CityMessage.id == found.raw_message)
            .values(title={"nl": MIX}, body={"nl": EVERYTHING})
        )
        for message, kind in ((found.survey, "survey"), (found.budget, "budget")):
            db.execute(
                update(models.CityMessage)
                .where(models.CityMessage.id == message)
                .values(title={"nl": f"{MIX} {kind}"})
            )
        db.execute(
            update(models.Proposal)
            .where(models.Proposal.id == found.raw_proposal)
            .values(title=MIX, description=EVERYTHING)
        )
        answer = db.execute(
            select(models.OpenAnswer.id)
            .where(models.OpenAnswer.message_id == found.survey)
            .limit(1)
        ).scalar_one()
        db.execute(
            update(models.OpenAnswer).where(models.OpenAnswer.id == answer).values(text=EVERYTHING)
        )
        # Names staff read everywhere: a colleague's, the organisation's, the neighbourhood's
        # and the category's of the reports.
        db.execute(
            update(models.StaffAccount).where(models.StaffAccount.id == me["id"]).values(name=MIX)
        )
        db.execute(
            update(models.Organisation)
            .where(models.Organisation.id == me["organisation"]["id"])
            .values(name=MIX)
        )
        db.execute(
            update(models.Neighbourhood)
            .where(models.Neighbourhood.id == sub["neighbourhood_id"])
            .values(name=MIX)
        )
        code = sub["category"]["code"] if isinstance(sub["category"], dict) else sub["category"]
        db.execute(
            update(models.Category)
            .where(
                models.Category.code == code,
                models.Category.municipality_id == me["organisation"]["municipality"]["id"],
            )
            .values(name={"nl": MIX, "fr": MIX, "en": MIX})
        )
    engine.dispose()


@pytest.fixture(scope="module")
def hostile(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    """One server for this module's tests: they only read what it holds."""
    path = tmp_path_factory.mktemp("hostile") / "buurt.db"
    shutil.copy(sqlite_template, path)
    server = LiveServer(path)
    server.start()
    try:
        yield seed(server)
    finally:
        server.stop()


# -- what is drawn ----------------------------------------------------------------------------


def svg_text(svg: str) -> str:
    """The characters of an SVG screenshot, line by line as drawn."""
    body = svg[svg.find("<g class") :]
    return html.unescape("".join(re.findall(r"<text[^>]*>([^<]*)</text>", body)))


def rendered(widget: Widget) -> str:
    return str(widget.render())


@dataclass
class Seen:
    """What the checks saw: screens drawn, control characters drawn."""

    screens: int = 0
    leaks: list[str] = field(default_factory=list)


async def check(pilot: Pilot[None], seen: Seen, expected: type[Screen[Any]]) -> str:
    """The app runs, on the expected screen; what it draws holds no control character, no
    link and no action a resident wrote. Returns the text drawn."""
    app = pilot.app
    await pilot.pause()
    assert app.return_code is None and app.is_running, "the app stopped"
    assert isinstance(app.screen, expected), f"on {type(app.screen).__name__}"
    seen.screens += 1
    svg = app.export_screenshot()
    drawn = svg_text(svg)
    leaks = [repr(c) for c in FORBIDDEN if c in svg]
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            leaks += [repr(c) for c in FORBIDDEN if c in segment.text]
            style = segment.style
            if style is None:
                continue
            assert "evil.example" not in (style.link or ""), f"a live link: {segment.text!r}"
            action = str(style.meta.get("@click", ""))
            assert "quit" not in action, f"a live action: {segment.text!r} {action}"
    seen.leaks += leaks
    assert not leaks, f"control characters drawn on {expected.__name__}: {leaks}"
    return drawn


def no_control(text: str) -> None:
    assert not [c for c in FORBIDDEN if c in text], repr(text[:200])


@contextlib.asynccontextmanager
async def on_the_dashboard(
    hostile: Hostile, size: tuple[int, int]
) -> AsyncIterator[tuple[BuurtApp, Pilot[None], Seen]]:
    """The console signed in as the admin at `size`, checked on the dashboard it opens on;
    once the test has walked its screens, nothing it drew leaked."""
    seen = Seen()
    app = await signed_in_console(hostile.url, ADMIN)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await check(pilot, seen, DashboardScreen)
        yield app, pilot, seen
    assert not seen.leaks
    print(f"\n{size}: {seen.screens} screens drawn, {len(seen.leaks)} control characters drawn")


# -- the inbox side ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
async def test_hostile_text_in_the_inbox(
    hostile: Hostile, size: tuple[int, int], console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    async with on_the_dashboard(hostile, size) as (app, pilot, seen):
        # The header: the organisation and the person, as typed.
        header = rendered(app.screen.query_one("StatusHeader"))
        no_control(header)
        assert "^[" in header or size[0] < 100
        await pilot.press("t")
        await settle(pilot)
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        await pilot.press("slash")
        inbox.query_one("#inbox-search", Input).value = MARKER
        await pilot.press("enter")
        await settle(pilot)
        ids = [s.id for s in inbox.items]
        assert hostile.raw_report in ids and set(hostile.reports) <= set(ids)
        await check(pilot, seen, InboxScreen)
        table = inbox.query_one(DataTable)
        detail = inbox.query_one("#detail-text", Static)
        # Every report's detail: description, reporter, contact, address, history.
        for row, sub in enumerate(list(inbox.items)):
            table.move_cursor(row=row)
            await wait_until(pilot, lambda s=sub: f"#{s.id}  " in rendered(detail))
            await settle(pilot)
            text = rendered(detail)
            no_control(text)
            await check(pilot, seen, InboxScreen)
        inbox.move_to(hostile.raw_report)
        await wait_until(pilot, lambda: f"#{hostile.raw_report}  " in rendered(detail))
        await settle(pilot)
        text = rendered(detail)
        assert text.count("[/]") >= 10 and "[@click=app.quit]x[/]" in text
        assert "^[]0;pwned^G" in text and "<U+202E>" in text and "^@" in text and "^?" in text
        assert "[link=https://evil.example]click[/link]" in text and LONG in text
        # Who holds it, by name.
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AssignScreen))
        names = [
            str(o.prompt)
            for o in (
                app.screen.query_one(OptionList).get_option_at_index(i)
                for i in range(app.screen.query_one(OptionList).option_count)
            )
        ]
        assert any(name.startswith("[/] ^[]0;pwned^G") for name in names)
        await check(pilot, seen, AssignScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is inbox)
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkloadScreen))
        await check(pilot, seen, WorkloadScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is inbox)
        # A reply starts from a template: their titles offered as typed.
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(p.startswith("[/] ^[]0;pwned^G") for p in prompts)
        assert "[@click=app.quit]x[/]" in prompts
        await check(pilot, seen, ChoiceScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is inbox)
        # The map of these reports: the neighbourhood's and category's names.
        await pilot.press("M")
        await wait_until(pilot, lambda: isinstance(app.screen, MapScreen) and app.screen.loaded)
        await check(pilot, seen, MapScreen)
        await pilot.press("space")
        status = app.screen.query_one("#map-status", Static)
        await wait_until(pilot, lambda: rendered(status).startswith("#"))
        assert "[/] ^[]0;pwned^G" in rendered(status)
        await check(pilot, seen, MapScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is inbox)
        await settle(pilot)
        # The reply templates, each with its texts.
        await pilot.press("T")
        await wait_until(pilot, lambda: isinstance(app.screen, TemplatesScreen))
        templates = app.screen
        await settle(pilot)
        assert len(templates.templates) >= hostile.templates + 1
        texts = templates.query_one("#templates-texts", Static)
        for row in range(len(templates.templates)):
            templates.query_one(DataTable).move_cursor(row=row)
            await pilot.pause()
            no_control(rendered(texts))
            await check(pilot, seen, TemplatesScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is inbox)
        # A search for markup: shown as typed, in the filter line and the empty list's words.
        query = "[/] [@click=app.quit]x[/] [bold"
        await pilot.press("slash")
        inbox.query_one("#inbox-search", Input).value = query
        await pilot.press("enter")
        await settle(pilot)
        assert f"“{query}”" in rendered(inbox.query_one("#inbox-filters", Static))
        drawn = await check(pilot, seen, InboxScreen)
        assert "[/]" in drawn
        if not inbox.items:
            assert query in rendered(inbox.query_one("#inbox-empty", Static))
        assert app.return_code is None


# -- the messages side ------------------------------------------------------------------------


async def open_message(pilot: Pilot[None], message_id: int) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, MessagesScreen)
    await wait_until(pilot, lambda: any(m.id == message_id for m in screen.items))
    row = next(i for i, m in enumerate(screen.items) if m.id == message_id)
    screen.query_one(DataTable).move_cursor(row=row)
    await pilot.press("enter")


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
async def test_hostile_text_in_messages_and_results(
    hostile: Hostile, size: tuple[int, int], console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    async with on_the_dashboard(hostile, size) as (app, pilot, seen):
        assert "[/]" in rendered(app.screen.query_one("#dashboard-title", Static))
        await pilot.press("m")
        await settle(pilot)
        messages = app.screen
        assert isinstance(messages, MessagesScreen)
        await check(pilot, seen, MessagesScreen)
        # Every message with hostile text, opened.
        for message_id in [hostile.raw_message, *hostile.messages]:
            await open_message(pilot, message_id)
            await wait_until(pilot, lambda: isinstance(app.screen, MessageView))
            view = app.screen
            no_control(rendered(view.query_one("#message-facts", Static)))
            await check(pilot, seen, MessageView)
            if message_id == hostile.raw_message:
                source = view.query_one(Markdown).source
                assert "^[]0;pwned^G" in source and "[/]" in source
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is messages)
        # The survey's results and its open answers, each read in full.
        await open_message(pilot, hostile.survey)
        await wait_until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        results = app.screen
        await wait_until(pilot, lambda: results.results is not None)
        await settle(pilot)
        assert rendered(results.query_one("#results-title", Static)).startswith("[/] ^[]0;")
        await check(pilot, seen, ResultsScreen)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, OpenAnswersScreen))
        answers = app.screen
        await wait_until(pilot, lambda: len(answers.answers) == hostile.answers)
        text = answers.query_one("#answers-text", Static)
        for row in range(len(answers.answers)):
            answers.query_one(DataTable).move_cursor(row=row)
            await pilot.pause()
            assert rendered(text) == answers.answers[row].text
            no_control(rendered(text))
            await check(pilot, seen, OpenAnswersScreen)
        assert any(a.text.startswith("[/] ") and "^[" in a.text for a in answers.answers)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is results)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is messages)
        # The budget's proposals; rejecting one names it in the question, as typed.
        await open_message(pilot, hostile.budget)
        await wait_until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        results = app.screen
        await wait_until(pilot, lambda: len(results.proposals) == hostile.proposals)
        await settle(pilot)
        await check(pilot, seen, ResultsScreen)
        row = next(i for i, p in enumerate(results.proposals) if p.id == hostile.raw_proposal)
        results.query_one("#results-proposals", DataTable).move_cursor(row=row)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, TextEntryScreen))
        question = rendered(app.screen.query_one("#entry-title", Static))
        assert "[/] ^[]0;pwned^G [@click=app.quit]x[/]" in question
        await check(pilot, seen, TextEntryScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is results)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is messages)
        # The neighbourhood's name in the overview, the statistics and the compose screen.
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, OverviewScreen))
        await settle(pilot)
        assert "[/]" in rendered(app.screen.query_one("#overview-title", Static))
        await check(pilot, seen, OverviewScreen)
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, StatisticsScreen))
        await settle(pilot)
        await check(pilot, seen, StatisticsScreen)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        await settle(pilot)
        compose = app.screen
        hoods = compose.query_one("#hoods", OptionList)
        prompts = [str(hoods.get_option_at_index(i).prompt) for i in range(hoods.option_count)]
        assert any(p.startswith("[/] ^[]0;pwned^G") for p in prompts)
        # Our own words with square brackets show them too.
        labels = " ".join(rendered(label) for label in compose.query(Label))
        assert "[multiple 2], [scale] (1-5) or [open]" in labels
        await check(pilot, seen, ComposeScreen)
        assert app.return_code is None


async def test_the_check_sees_what_would_leak() -> None:
    """The check is not blind: a control character or a live action drawn is caught."""
    from rich.text import Text
    from textual.app import App, ComposeResult

    class Leaky(App[None]):
        def compose(self) -> ComposeResult:
            yield Static(Text("before \x1b]0;pwned\x07 after"), id="raw")
            yield Static("[@click=app.quit]x[/]", id="live")

    app = Leaky()
    async with app.run_test(size=(40, 5)) as pilot:
        with pytest.raises(AssertionError, match=r"live action|control characters"):
            await check(pilot, Seen(), Screen)
