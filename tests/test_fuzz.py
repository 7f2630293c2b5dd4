"""API fuzzing with schemathesis over /openapi.json against a seeded server on 127.0.0.1, on
SQLite and on PostgreSQL, bounded for CI: all of its checks, with the statuses that only the
data or the server's state decide named below with their reasons; then probes every route
without a token (401 problem)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import DEMO_PASSWORD
from tests.pgserver import free_port
from tests.processes import start_server

BIN = Path(sys.executable).parent


# Where a request that fits the document may still be refused, and why: rules on the data
# or the server's state that no JSON Schema can state. Schemathesis accepts these statuses
# for schema-valid requests on these operations; everything else it checks as it is.
CURSOR = (
    "a cursor is an opaque token the server made; no schema can say which strings are its "
    "own, so a made-up one is a 400 invalid-cursor"
)
STATE_NOT_SHAPE: dict[str, tuple[list[str], str]] = {
    "^/v1/(neighbourhoods|tokens|audit)$": (
        ["400"],
        CURSOR,
    ),
    "^/open311/v2/requests.\\{fmt\\}$": (
        ["400", "403"],
        "start_date to end_date spans at most 90 days (a rule between two parameters); "
        "posting needs a valid api_key",
    ),
    "^/v1/messages(/\\{message_id\\})?$": (
        ["400", "412", "422", "428"],
        f"{CURSOR} (GET); a message's kind needs its own fields, title and body the same languages, the "
        "municipality's languages and a future schedule (rules across fields and on data); "
        "PUT's If-Match must be the current version (state)",
    ),
    "^/v1/messages/reach$": (["422"], "neighbourhood ids must exist (data, not shape)"),
    "^/v1/messages/\\{message_id\\}/(publish|withdraw)$": (
        ["409"],
        "only a draft or scheduled message can be published or withdrawn (state)",
    ),
    "^/v1/submissions$": (
        ["400", "422"],
        f"{CURSOR} (GET); a report taken for a resident needs an existing category code, a "
        "language its municipality answers in and a place (rules on data, across fields)",
    ),
    "^/v1/submissions/(counts|export.csv|workload)$": (
        ["422"],
        "`since` and `until` lie between 1970 and 9000 (a date-time format cannot bound years)",
    ),
    "^/v1/reply-templates(/\\{template_id\\})?$": (
        ["412", "422", "428"],
        "a template's languages are its municipality's, its categories existing codes, its "
        "placeholders known ones (data); If-Match must be the current version (state)",
    ),
    "^/v1/participation/": (
        ["409", "422"],
        "an answer fits its survey's questions (one of choice, choices, value or text, by the "
        "question's type), votes fit the budget; one answer per household while open (data "
        "and state)",
    ),
    "^/v1/proposals/\\{proposal_id\\}/decision$": (
        ["409", "412", "422", "428"],
        "a rejection says why (a rule across fields); If-Match must be the current version; "
        "a proposal with votes stays (state)",
    ),
    "^/v1/messages/\\{message_id\\}/(results|results.csv|open-answers|open-answers.csv|proposals|close)$": (
        ["400", "409"],
        f"{CURSOR}; only surveys, calls and budgets have results and can be closed (state)",
    ),
    "^/v1/submissions/\\{submission_id\\}(/duplicate|/replies|/notes)?$": (
        ["412", "422", "428"],
        "If-Match must be the current version; status changes follow the allowed "
        "transitions; an assignee must be an active colleague; a submission cannot "
        "duplicate itself (state and data, not shape)",
    ),
}
# Not fuzzed at all: the stream never ends; signing out or revoking tokens would end the
# fuzzer's own credentials half-way (their tests are in test_auth and test_tokens).
NOT_FUZZED = "stream|logout"


def schemathesis_config(path: Path) -> Path:
    """A schemathesis.toml with the accepted statuses above, one [[operations]] each."""
    # A missing If-Match or Idempotency-Key is RFC 6585's 428 Precondition Required, which
    # says what to send; a missing header the framework parses is a 422.
    lines = [
        "[checks.missing_required_header]",
        'expected-statuses = ["400", "422", "428"]',
        "",
    ]
    for pattern, (statuses, _reason) in STATE_NOT_SHAPE.items():
        expected = ["2xx", "401", "403", "404", "429", *statuses]
        lines += [
            "[[operations]]",
            f"include-path-regex = '{pattern}'",
            f"checks.positive_data_acceptance.expected-statuses = {expected!r}",
            "",
        ]
    path.write_text("\n".join(lines))
    return path


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "BUURT_DATABASE_URL": database_url,
        # The fuzzer signs in with random credentials thousands of times.
        "BUURT_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
        "BUURT_LOGIN_MAX_FAILURES_PER_ACCOUNT": "1000000",
    }
    process = start_server(env, port, tmp_path / "server.log")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=15)
    text = (tmp_path / "server.log").read_text()
    assert "unhandled error" not in text, text[-3000:]


@pytest.mark.dialect
@pytest.mark.slow
def test_the_document_tells_the_truth_under_fuzzing(server: str, tmp_path: Path) -> None:
    """Every check of schemathesis (status codes, content types, bodies, headers, methods,
    schema-valid data accepted, invalid data refused, no server error) on every operation."""
    token = httpx.post(
        f"{server}/v1/auth/token", json={"email": "admin@mechelen.demo", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    config = schemathesis_config(tmp_path / "schemathesis.toml")
    result = subprocess.run(
        [
            str(BIN / "st"), "--config-file", str(config), "run", f"{server}/openapi.json",
            "-H", f"Authorization: Bearer {token}",
            "--checks", "all",
            "--phases", "examples,coverage,fuzzing",
            "--max-examples", "10",
            "--seed", "20261129",
            "--exclude-path-regex", NOT_FUZZED,
            "--exclude-method", "DELETE",
        ],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    summary = result.stdout[-6000:]
    print(summary[-700:])  # the figures, shown with `pytest -rP`
    assert result.returncode == 0, summary
    assert re.search(r"\d+ generated", summary), summary
    assert "failures" not in summary.splitlines()[-1], summary


@pytest.mark.dialect
def test_every_route_wants_a_token_and_answers_problems(server: str) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    public = {"/healthz", "/readyz", "/v1/auth/token", "/v1/auth/refresh", "/v1/auth/logout"}
    checked = 0
    for path, methods in spec["paths"].items():
        if path in public or path.startswith("/open311/"):
            continue
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in methods:
            response = httpx.request(method.upper(), f"{server}{concrete}", json={}, timeout=10)
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["type"] == "/problems/unauthenticated"
            checked += 1
    assert checked >= 25
