"""API fuzzing with schemathesis over /openapi.json against a seeded server on 127.0.0.1,
bounded for CI: no 5xx anywhere; then probes every route without a token (401 problem)."""

from __future__ import annotations

import os
import re
import shutil
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


@pytest.fixture
def server(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    database = tmp_path / "fuzz.db"
    shutil.copy(sqlite_template, database)
    port = free_port()
    env = {
        **os.environ,
        "BUURT_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
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


@pytest.mark.slow
def test_no_server_errors_under_fuzzing(server: str) -> None:
    token = httpx.post(
        f"{server}/v1/auth/token", json={"email": "admin@mechelen.demo", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    result = subprocess.run(
        [
            str(BIN / "st"), "run", f"{server}/openapi.json",
            "-H", f"Authorization: Bearer {token}",
            "--checks", "not_a_server_error",
            "--max-examples", "12",
            "--seed", "20261129",
            # Signing out or revoking would end the fuzzer's own credentials.
            "--exclude-path-regex", "stream|logout",
            "--exclude-method", "DELETE",
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    summary = result.stdout[-2500:]
    assert result.returncode == 0, summary
    assert re.search(r"\d+ generated, \d+ passed", summary), summary


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
