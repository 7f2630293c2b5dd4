"""Residents' words are untrusted at every exit (the server's side), on SQLite and PostgreSQL:

- every CSV export writes a text cell that a spreadsheet would run as a formula with a
  leading `'`, numbers as numbers;
- text is cleaned where it comes in (Open311 forms and query strings, participation, staff
  forms): NFC, `\\n` line ends, no C0/C1 controls, DEL or bidi controls; NUL is refused;
- the access log of a real uvicorn shows paths, never residents' data or search words;
- JSON nested deeper than 32 levels and text that is not UTF-8 are 400 problems before any
  parser chokes on them; Open311 parses no XML;
- `buurt-server serve` refuses a non-loopback address while demo accounts have the demo
  password, until `reset-demo-passwords` (or `--allow-demo-accounts`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest

from server import csvsafe
from server.cli import is_loopback
from server.limits import json_too_deep
from tests.conftest import DEMO_PASSWORD, assert_problem, auth_headers
from tests.pgserver import free_port
from tests.processes import start_server, wait_ready
from tests.test_open311 import form, open311_key
from tests.test_participation import QUESTIONS, hoods, later, publish, resident_token, response

BIN = Path(sys.executable).parent
ADMIN = "admin@mechelen.demo"
OFFICER = "officer@mechelen.demo"
MODERATOR = "moderator@mechelen.demo"

# -- CSV ------------------------------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "=cmd|' /C calc'!A0",
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
]
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def formula_cells(text: str) -> list[str]:
    """The cells of a CSV a spreadsheet would run: they start with a formula character and
    are not a number."""
    return [
        value
        for row in csv.reader(io.StringIO(text))
        for value in row
        if value.startswith(DANGEROUS_STARTS) and not is_number(value)
    ]


def cells(text: str) -> set[str]:
    return {value for row in csv.reader(io.StringIO(text)) for value in row}


def test_a_cell_is_neutralised_by_its_start_and_numbers_stay_numbers() -> None:
    for formula in FORMULAS:
        assert csvsafe.cell(formula) == "'" + formula
    assert csvsafe.cell("\r=1") == "'\r=1"
    assert csvsafe.cell("-3") == "'-3"  # text that looks like a number is still text
    assert csvsafe.cell(-3) == -3 and csvsafe.cell(-4.25) == -4.25 and csvsafe.cell(0) == 0
    assert csvsafe.cell(None) == "" and csvsafe.cell("Bruul 12") == "Bruul 12"
    assert csvsafe.cell("a=b") == "a=b"  # only the first character makes a formula


async def survey_and_budget(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> tuple[dict, dict]:
    """An open survey and an open citizen budget, published by `officer`."""
    survey = await publish(
        client, officer, "survey", survey={"questions": QUESTIONS, "closes_at": later(days=7)}
    )
    budget = await publish(
        client, officer, "citizen_budget",
        budget={"budget_eur": 50_000, "deadline": later(days=30)},
    )  # fmt: skip
    return survey, budget


@pytest.mark.dialect
async def test_no_export_holds_a_cell_a_spreadsheet_would_run(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(client, ADMIN)
    officer = await auth_headers(client, OFFICER)
    key = await open311_key(client)
    resident = await resident_token(client)
    hood = (await hoods(client, officer))[0]
    survey_msg, budget = await survey_and_budget(client, officer)
    tried = 0
    for i, formula in enumerate(FORMULAS):
        # Open311: description, the reporter's name and contact, the address.
        sent = await client.post(
            "/open311/v2/requests.json",
            data=form(key, description=formula, first_name=formula, last_name="",
                      email=formula, address_string=formula, long="-4.4780"),
        )  # fmt: skip
        assert sent.status_code == 200, sent.text
        # Taken by staff: the same four fields.
        taken = await client.post(
            "/v1/submissions", headers=admin,
            json={"category": "sidewalk", "description": formula, "channel": "phone",
                  "address": formula, "reporter_name": formula, "reporter_contact": formula},
        )  # fmt: skip
        assert taken.status_code == 201, taken.text
        # A survey's open answer; a proposal's title and description.
        answered = await client.post(
            f"/v1/participation/surveys/{survey_msg['id']}/responses", headers=resident,
            json=response(f"r{i}", f"h{i}", hood["id"], text=formula),
        )  # fmt: skip
        assert answered.status_code == 201, answered.text
        proposed = await client.post(
            f"/v1/participation/budgets/{budget['id']}/proposals", headers=resident,
            json={"id": f"p{i}", "household": f"h{i}", "neighbourhood_id": hood["id"],
                  "title": formula, "description": formula, "cost_eur": 1000 + i},
        )  # fmt: skip
        assert proposed.status_code == 201, proposed.text
        accepted = await client.post(
            f"/v1/proposals/{proposed.json()['id']}/decision",
            headers={**officer, "If-Match": '"1"'}, json={"decision": "accept"},
        )  # fmt: skip
        assert accepted.status_code == 200, accepted.text
        tried += 11
    assert tried == 66  # hostile strings x fields

    exports = {
        "submissions": await client.get("/v1/submissions/export.csv", headers=admin),
        "open answers": await client.get(
            f"/v1/messages/{survey_msg['id']}/open-answers.csv", headers=officer
        ),
        "survey results": await client.get(
            f"/v1/messages/{survey_msg['id']}/results.csv", headers=officer
        ),
        "budget results": await client.get(
            f"/v1/messages/{budget['id']}/results.csv", headers=officer
        ),
    }
    for name, export in exports.items():
        assert export.status_code == 200, (name, export.text)
        assert export.headers["content-type"].startswith("text/csv")
        assert formula_cells(export.text) == [], name
    # The words did reach the exports, neutralised (each field is stripped where it comes
    # in, so the leading tab's formula arrives as "=1+1").
    inbox, answers = cells(exports["submissions"].text), cells(exports["open answers"].text)
    budget_cells = cells(exports["budget results"].text)
    for formula in FORMULAS:
        for found in (inbox, answers, budget_cells):
            assert "'" + formula.strip() in found
    # A negative number stays a number: the longitude west of Greenwich.
    assert "-4.478" in inbox
    # A message's results keep their counts as numbers.
    rows = list(csv.reader(io.StringIO(exports["survey results"].text)))
    assert rows[1][0] == "total" and rows[1][3] == str(len(FORMULAS))


# -- text cleaned on the way in ------------------------------------------------------------

# (sent, kept): terminal escapes lose their ESC, BEL, C1 and DEL; bidi controls go; line ends
# become \n; emoji and combining marks stay, composed where Unicode has a composed form.
CORPUS = [
    ("copy \x1b]52;c;ZWNobyBoaQ==\x07 done", "copy ]52;c;ZWNobyBoaQ== done"),
    ("\x1b]0;pwned title\x07Title", "]0;pwned titleTitle"),
    ("\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\ here",
     "]8;;http://evil.example\\click]8;;\\ here"),
    ("clear\x1b[2Jscreen", "clear[2Jscreen"),
    ("red \x9b31mtext\x9c", "red 31mtext"),
    ("ding\x07dong\x08\x0b\x0c\x1f!", "dingdong!"),
    ("del\x7fete", "delete"),
    ("invoice\u202egpj.exe", "invoicegpj.exe"),
    ("\u2066isolate\u2069 \u200emark\u200f \u202aembed\u202c \u061cx", "isolate mark embed x"),
    ("line1\r\nline2\rline3\n\ttab", "line1\nline2\nline3\n\ttab"),
    ("Graag 🌳 en 👨\u200d👩\u200d👧 bankjes", "Graag 🌳 en 👨\u200d👩\u200d👧 bankjes"),
    ("cafe\u0301, Zoe\u0308, A\u030angstro\u0308m, q\u0307", "café, Zoë, Ångström, q\u0307"),
]  # fmt: skip
UNWANTED = {chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]} | set(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def assert_clean(text: str, expected: str) -> None:
    assert not set(text) & UNWANTED, repr(text)
    assert unicodedata.is_normalized("NFC", text), repr(text)
    assert text.strip() == expected.strip(), (text, expected)


@pytest.mark.dialect
async def test_open311_text_is_cleaned_from_forms_and_query_strings(
    client: httpx.AsyncClient,
) -> None:
    admin = await auth_headers(client, ADMIN)
    key = await open311_key(client)
    for n, (sent, kept) in enumerate(CORPUS):
        fields = {"description": sent, "first_name": sent, "last_name": "Peeters",
                  "email": sent, "address_string": sent}  # fmt: skip
        # Form-encoded (the standard), then every parameter in the query string.
        for how in ("form", "query"):
            if how == "form":
                made = await client.post("/open311/v2/requests.json", data=form(key, **fields))
            else:
                made = await client.post(
                    "/open311/v2/requests.json", params=form(key, **fields), data={}
                )
            assert made.status_code == 200, (n, how, made.text)
            sid = made.json()[0]["service_request_id"]
            detail = (await client.get(f"/v1/submissions/{sid}", headers=admin)).json()
            assert_clean(detail["description"], kept)
            assert_clean(detail["address"], kept)
            assert_clean(detail["reporter_contact"], kept)
            assert_clean(detail["reporter_name"], f"{kept.strip()} Peeters")
            # What Open311 clients read back, XML included (a control character would not
            # even be well-formed XML 1.0).
            params = {"jurisdiction_id": "mechelen"}
            [row] = (await client.get(f"/open311/v2/requests/{sid}.json", params=params)).json()
            assert_clean(row["description"], kept)
            xml = await client.get(f"/open311/v2/requests/{sid}.xml", params=params)
            assert_clean(ET.fromstring(xml.content).findtext("request/description") or "", kept)
    # NUL is refused, naming the parameter; nothing is stored.
    refused = await client.post("/open311/v2/requests.json", data=form(key, description="a\x00b"))
    assert refused.status_code == 400 and "description" in refused.json()[0]["description"]


@pytest.mark.dialect
async def test_staff_forms_and_participation_text_is_cleaned(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(client, ADMIN)
    officer = await auth_headers(client, OFFICER)
    resident = await resident_token(client)
    hood = (await hoods(client, officer))[0]
    survey_msg, budget = await survey_and_budget(client, officer)
    stored = 0
    for n, (sent, kept) in enumerate(CORPUS):
        # A report taken by staff, a public reply and an internal note on it.
        taken = await client.post(
            "/v1/submissions", headers=admin,
            json={"category": "sidewalk", "description": sent, "channel": "phone",
                  "address": sent, "reporter_name": sent, "reporter_contact": sent},
        )  # fmt: skip
        assert taken.status_code == 201, (n, taken.text)
        sid = taken.json()["id"]
        for kind in ("replies", "notes"):
            added = await client.post(
                f"/v1/submissions/{sid}/{kind}", headers=admin, json={"text": sent}
            )
            assert added.status_code in (200, 201), added.text
        detail = (await client.get(f"/v1/submissions/{sid}", headers=admin)).json()
        for field in ("description", "address", "reporter_name", "reporter_contact"):
            assert_clean(detail[field], kept)
        texts = [e["text"] for e in detail["history"] if e["kind"] in ("reply", "note")]
        assert len(texts) == 2
        for text in texts:
            assert_clean(text, kept)
        # A reply template (title and texts), a draft message (title and body).
        template = await client.post(
            "/v1/reply-templates", headers=admin,
            json={"title": f"{n} {sent}", "texts": {"nl": sent, "en": sent}},
        )  # fmt: skip
        assert template.status_code == 201, template.text
        got = await client.get(f"/v1/reply-templates/{template.json()['id']}", headers=admin)
        assert_clean(got.json()["title"], f"{n} {kept.strip()}")
        for text in got.json()["texts"].values():
            assert_clean(text, kept)
        draft = await client.post(
            "/v1/messages", headers=officer,
            json={"kind": "announcement", "title": {"nl": sent}, "body": {"nl": sent},
                  "targets": "all", "action": "draft"},
        )  # fmt: skip
        assert draft.status_code == 201, draft.text
        message = (await client.get(f"/v1/messages/{draft.json()['id']}", headers=officer)).json()
        assert_clean(message["title"]["nl"], kept)
        assert_clean(message["body"]["nl"], kept)
        # A resident's open answer, proposal title and description.
        answered = await client.post(
            f"/v1/participation/surveys/{survey_msg['id']}/responses", headers=resident,
            json=response(f"r{n}", f"h{n}", hood["id"], text=sent),
        )  # fmt: skip
        assert answered.status_code == 201, answered.text
        proposed = await client.post(
            f"/v1/participation/budgets/{budget['id']}/proposals", headers=resident,
            json={"id": f"p{n}", "household": f"h{n}", "neighbourhood_id": hood["id"],
                  "title": sent, "description": sent, "cost_eur": 100},
        )  # fmt: skip
        assert proposed.status_code == 201, proposed.text
        stored += 15
    answers = await client.get(
        f"/v1/messages/{survey_msg['id']}/open-answers", headers=officer, params={"limit": 200}
    )
    got_answers = sorted(a["text"] for a in answers.json()["items"])
    assert got_answers == sorted(kept.strip() for _sent, kept in CORPUS)
    proposals = (await client.get(f"/v1/messages/{budget['id']}/proposals", headers=officer)).json()
    assert sorted(p["title"] for p in proposals) == sorted(k.strip() for _s, k in CORPUS)
    assert sorted(p["description"] for p in proposals) == sorted(k.strip() for _s, k in CORPUS)
    assert stored == 15 * len(CORPUS)

    # 10,000 characters where the field takes them: kept whole, or cleaned within them.
    long_plain = "🌳é" * 5000
    long_hostile = "ab\x1b[2J" * 1666 + "e\u0301nd"
    assert len(long_plain) == 10_000 and len(long_hostile) == 10_000
    for body, kept in ((long_plain, long_plain), (long_hostile, "ab[2J" * 1666 + "énd")):
        draft = await client.post(
            "/v1/messages", headers=officer,
            json={"kind": "announcement", "title": {"nl": "Lang"}, "body": {"nl": body},
                  "targets": "all", "action": "draft"},
        )  # fmt: skip
        assert draft.status_code == 201, draft.text[:300]
        message = (await client.get(f"/v1/messages/{draft.json()['id']}", headers=officer)).json()
        assert message["body"]["nl"] == kept
    # NUL stays a 422 naming the field, in every form.
    nul = await client.post(f"/v1/submissions/{sid}/notes", headers=admin, json={"text": "a\x00"})
    assert "text" in assert_problem(nul, 422, "validation")["detail"]


async def test_a_password_is_taken_as_typed(client: httpx.AsyncClient) -> None:
    # Cleaning a password would let "buurt-demo\x1b" (or a decomposed letter) match another.
    for password in (DEMO_PASSWORD + "\x1b", DEMO_PASSWORD + "\u202e", "\u202e" + DEMO_PASSWORD):
        refused = await client.post(
            "/v1/auth/token", json={"email": "analyst@mechelen.demo", "password": password}
        )
        assert_problem(refused, 401, "invalid-credentials")
    # The e-mail address is cleaned like any text.
    signed_in = await client.post(
        "/v1/auth/token", json={"email": "analyst@mechelen\u200e.demo", "password": DEMO_PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text


# -- real servers: logs, nesting, encodings ------------------------------------------------


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path, object]]:
    """A real `buurt-server serve` with its access log on (INFO), and the log's path."""
    port, log = free_port(), tmp_path / "server.log"
    env = {**os.environ, "BUURT_DATABASE_URL": database_url}
    process = start_server(env, port, log, "info")
    yield f"http://127.0.0.1:{port}", log, process
    process.terminate()
    process.wait(timeout=15)


def sign_in_sync(http: httpx.Client, email: str) -> dict[str, str]:
    tokens = http.post("/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    assert tokens.status_code == 200, tokens.text
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


def test_the_access_log_holds_no_residents_data(served: tuple[str, Path, object]) -> None:
    url, log, process = served
    marker = uuid.uuid4().hex[:10]
    resident = {
        "email": f"an.jansens.{marker}@example.org",
        "phone": f"+32470{int(marker, 16) % 10**6:06d}",
        "first_name": f"Annemie{marker}",
        "last_name": f"Jansens{marker}",
        "description": f"Losse stoeptegel {marker} voor mijn deur",
        "address_string": f"Kerkstraat {marker} 12",
    }
    search = f"zoekwoord{marker}"
    with httpx.Client(base_url=url, timeout=30) as http:
        admin = sign_in_sync(http, ADMIN)
        key = http.post(
            "/v1/tokens", headers=admin, json={"name": "app", "scopes": ["open311:submit"]}
        ).json()["token"]
        # Everything in the query string, as some Open311 clients send it.
        query = {"api_key": key, "jurisdiction_id": "mechelen", "service_code": "sidewalk",
                 **resident}  # fmt: skip
        made = http.post("/open311/v2/requests.json", params=query)
        assert made.status_code == 200, made.text
        listed = http.get(
            "/open311/v2/requests.json",
            params={"jurisdiction_id": "mechelen", "service_request_id": made.json()[0][
                "service_request_id"]},
        )  # fmt: skip
        assert resident["description"] in listed.text
        # Staff searching for words (a resident's) in the inbox, the messages, the city.
        for path in ("/v1/submissions", "/v1/messages", "/v1/neighbourhoods"):
            found = http.get(path, headers=admin, params={"q": search, "limit": 5})
            assert found.status_code == 200, found.text
        found = http.get(
            "/v1/submissions", headers=admin, params={"q": resident["description"], "status": "new"}
        )
        assert found.status_code == 200 and resident["description"] in found.text
    process.terminate()  # type: ignore[attr-defined]
    process.wait(timeout=15)  # type: ignore[attr-defined]
    text = log.read_text()
    # The access log is on and shows paths and parameter names.
    assert "POST /open311/v2/requests.json?api_key=[redacted]" in text
    assert "email=[redacted]" in text and "description=[redacted]" in text
    assert "GET /v1/submissions?q=[redacted]&limit=5" in text
    assert "GET /v1/submissions?q=[redacted]&status=new" in text
    secrets_ = [key, search, *resident.values()]
    leaked = [
        line
        for line in text.splitlines()
        for value in secrets_
        if any(form_ in line for form_ in (value, quote_plus(value), quote(value, safe="")))
        or marker in line
    ]
    assert leaked == []


def too_deep_bodies() -> dict[str, bytes]:
    return {
        "100,000 [": b"[" * 100_000,
        "33 [": b"[" * 33 + b"]" * 33,
        "33 objects": b'{"a":' * 33 + b"1" + b"}" * 33,
    }


def test_deep_json_is_a_400_before_any_parser(served: tuple[str, Path, object]) -> None:
    url, _log, _process = served
    with httpx.Client(base_url=url, timeout=30, limits=httpx.Limits(max_connections=1)) as http:
        answers = 0
        for name, body in too_deep_bodies().items():
            for headers in ({"content-type": "application/json"}, {}):
                # Open311 without signing in, and a staff route.
                for path in ("/open311/v2/requests.json", "/v1/auth/token", "/v1/messages"):
                    response = http.post(path, content=body, headers=headers)
                    found = assert_problem(response, 400, "too-deep")
                    assert "32" in found["detail"], name
                    answers += 1
                # The connection survived: the next request on it is answered.
                assert http.get("/healthz").status_code == 200
        assert answers == 18
        # 32 levels, and brackets inside strings, are JSON like any other.
        admin = sign_in_sync(http, ADMIN)
        nested = http.post(
            "/v1/messages", headers={**admin, "content-type": "application/json"},
            content=b'{"kind": "announcement", "title": {"nl": "x"}, "body": {"nl": "y"}, '
            b'"targets": "all", "action": "draft", "extra": ' + b"[" * 30 + b"]" * 30 + b"}",
        )  # fmt: skip
        assert_problem(nested, 422, "validation")  # refused for the extra field, not its depth
        title = "[" * 100 + "{" * 100
        draft = http.post(
            "/v1/messages", headers=admin,
            json={"kind": "announcement", "title": {"nl": title[:140]}, "body": {"nl": title},
                  "targets": "all", "action": "draft"},
        )  # fmt: skip
        assert draft.status_code == 201, draft.text
        assert draft.json()["body"]["nl"] == title
        key = http.post(
            "/v1/tokens", headers=admin, json={"name": "app", "scopes": ["open311:submit"]}
        ).json()["token"]
        as_json = http.post(
            "/open311/v2/requests.json",
            json={"api_key": key, "jurisdiction_id": "mechelen", "service_code": "sidewalk",
                  "address_string": "Bruul 1", "description": "[[[" * 20 + " tegel"},
        )  # fmt: skip
        assert as_json.status_code == 200, as_json.text


def test_deep_json_prescan() -> None:
    assert not json_too_deep(b"[" * 32 + b"]" * 32)
    assert json_too_deep(b"[" * 33 + b"]" * 33)
    assert not json_too_deep(json.dumps({"a": "[" * 1000 + '\\"' + "{" * 1000}).encode())
    assert json_too_deep(b'["\\\\"' + b"[" * 40)  # an escaped backslash ends the string
    assert not json_too_deep(b'{"a": [1, 2, {"b": [[[]]]}]}')


def test_text_that_is_not_utf8_is_a_400_naming_the_field(
    served: tuple[str, Path, object],
) -> None:
    url, _log, _process = served
    with httpx.Client(base_url=url, timeout=30, limits=httpx.Limits(max_connections=1)) as http:
        admin = sign_in_sync(http, ADMIN)
        for path, field in [
            ("/open311/v2/services.json?jurisdiction_id=%FF", "jurisdiction_id"),
            ("/open311/v2/requests.json?jurisdiction_id=mechelen&status=%C3%28", "status"),
            ("/v1/submissions?q=caf%E9", "q"),
            ("/v1/messages?q=%ED%A0%80", "q"),  # an encoded surrogate is not UTF-8 either
        ]:
            found = assert_problem(http.get(path, headers=admin), 400, "invalid-utf8")
            assert found["detail"].startswith(f"query.{field}:"), found
            assert found["errors"][0]["loc"] == ["query", field]
            assert http.get("/healthz").status_code == 200
        # Form fields: form-encoded and multipart.
        key = http.post(
            "/v1/tokens", headers=admin, json={"name": "app", "scopes": ["open311:submit"]}
        ).json()["token"]
        good = {"api_key": key, "jurisdiction_id": "mechelen", "service_code": "sidewalk",
                "address_string": "Bruul 1"}  # fmt: skip
        encoded = "&".join(f"{k}={quote_plus(v)}" for k, v in good.items())
        refused = http.post(
            "/open311/v2/requests.json",
            content=f"{encoded}&description=tegel%FF%FE".encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        found = assert_problem(refused, 400, "invalid-utf8")
        assert found["detail"].startswith("body.description:")
        multipart = http.post(
            "/open311/v2/requests.json", data=good, files={"description": (None, b"tegel \xff")}
        )
        found = assert_problem(multipart, 400, "invalid-utf8")
        assert found["detail"].startswith("body.description:")
        # Valid UTF-8, percent-encoded, is what it says.
        accepted = http.post(
            "/open311/v2/requests.json",
            content=f"{encoded}&description=caf%C3%A9+tegel".encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert accepted.status_code == 200, accepted.text
        sid = accepted.json()[0]["service_request_id"]
        detail = http.get(f"/v1/submissions/{sid}", headers=admin).json()
        assert detail["description"] == "café tegel"


def test_open311_parses_no_xml(served: tuple[str, Path, object], tmp_path: Path) -> None:
    """Open311 writes XML but reads only forms and JSON: an XML body (an external entity
    in it) is never parsed, and text in XML answers is escaped."""
    url, _log, _process = served
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("the-content-of-a-local-file")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret_file}">]>'
        "<request><description>&x;</description></request>"
    )
    with httpx.Client(base_url=url, timeout=30) as http:
        answer = http.post(
            "/open311/v2/requests.xml", content=xxe, headers={"content-type": "text/xml"}
        )
        assert answer.status_code == 403, answer.text  # no api_key among form fields
        assert "the-content-of-a-local-file" not in answer.text
        assert ET.fromstring(answer.content).findtext("error/code") == "403"
        admin = sign_in_sync(http, ADMIN)
        key = http.post(
            "/v1/tokens", headers=admin, json={"name": "app", "scopes": ["open311:submit"]}
        ).json()["token"]
        words = "<script>x</script> ]]> &amp; \"'"
        made = http.post(
            "/open311/v2/requests.xml",
            data={"api_key": key, "jurisdiction_id": "mechelen", "service_code": "sidewalk",
                  "address_string": "Bruul 1", "description": words},
        )  # fmt: skip
        sid = ET.fromstring(made.content).findtext("request/service_request_id")
        got = http.get(f"/open311/v2/requests/{sid}.xml", params={"jurisdiction_id": "mechelen"})
        assert ET.fromstring(got.content).findtext("request/description") == words
        assert "<script>" not in got.text


# -- demo accounts stay local ---------------------------------------------------------------


def test_loopback_addresses() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "buurt.example", ""):
        assert not is_loopback(host), host


def serve_args(port: int, *options: str) -> list[str]:
    return [str(BIN / "buurt-server"), "serve", "--port", str(port), "--log-level", "warning",
            *options]  # fmt: skip


@pytest.mark.slow
def test_demo_accounts_keep_the_server_on_loopback(sqlite_template: Path, tmp_path: Path) -> None:
    database = tmp_path / "demo.db"
    shutil.copy(sqlite_template, database)
    env = {**os.environ, "BUURT_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    port = free_port()
    refused = subprocess.run(
        serve_args(port, "--host", "0.0.0.0"), env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "Refusing to serve on 0.0.0.0" in refused.stderr
    assert "buurt-server reset-demo-passwords" in refused.stderr
    assert "--allow-demo-accounts" in refused.stderr
    assert "Traceback" not in refused.stderr
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)

    # The risk accepted: it serves (0.0.0.0 includes 127.0.0.1, where we check).
    risky = start_server(env, port, tmp_path / "risky.log", "warning", "--host", "0.0.0.0",
                         "--allow-demo-accounts")  # fmt: skip
    risky.terminate()
    risky.wait(timeout=15)

    reset = subprocess.run(
        [str(BIN / "buurt-server"), "reset-demo-passwords"], env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    lines = [line.split("\t") for line in reset.stdout.splitlines()]
    emails = {email for email, _password in lines}
    assert {ADMIN, OFFICER, MODERATOR, "cpas@mons.demo"} <= emails
    new_password = dict(lines)[ADMIN]
    assert len(new_password) >= 16 and new_password != DEMO_PASSWORD
    assert new_password not in reset.stderr
    with sqlite3.connect(database) as db:
        audited = db.execute(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'staff_account.password_reset'"
        ).fetchone()[0]
    assert audited == len(lines)
    again = subprocess.run(
        [str(BIN / "buurt-server"), "reset-demo-passwords"], env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode == 0 and again.stdout == "" and "nothing changed" in again.stderr

    # Now it serves on 0.0.0.0 without the flag; the new password signs in, the old does not.
    server = start_server(env, port, tmp_path / "server.log", "warning", "--host", "0.0.0.0")
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        sign_in = f"http://127.0.0.1:{port}/v1/auth/token"
        old = httpx.post(sign_in, json={"email": ADMIN, "password": DEMO_PASSWORD}, timeout=10)
        assert old.status_code == 401
        new = httpx.post(sign_in, json={"email": ADMIN, "password": new_password}, timeout=10)
        assert new.status_code == 200, new.text
    finally:
        server.terminate()
        server.wait(timeout=15)


@pytest.mark.dialect
async def test_open311_fields_longer_than_their_columns_are_no_database_error(
    client: httpx.AsyncClient,
) -> None:
    key = await open311_key(client)
    too_long = await client.post(
        "/open311/v2/requests.json", data=form(key, address_string="Bruul " + "9" * 300)
    )
    assert too_long.status_code == 400, too_long.text
    assert "address_string" in too_long.json()[0]["description"]
    # Name and contact are cut to their columns; 300 characters of address fit.
    made = await client.post(
        "/open311/v2/requests.json",
        data=form(key, address_string="B" * 300, first_name="N" * 1000, email="e" * 1000),
    )
    assert made.status_code == 200, made.text
    sid = made.json()[0]["service_request_id"]
    detail = (
        await client.get(f"/v1/submissions/{sid}", headers=await auth_headers(client, ADMIN))
    ).json()
    assert len(detail["reporter_name"]) == 200 and len(detail["reporter_contact"]) == 320
