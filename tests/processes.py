"""Real `buurt-server serve` processes on 127.0.0.1 for the fault, scale and log tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
# The logs of the servers started during the current test; conftest fails the test when one
# of them holds a traceback.
STARTED_LOGS: list[Path] = []
TRACEBACK_MARKS = ("Traceback (most recent call last)", "Exception in ASGI application")


def server_cli(
    database_url: str, *args: str, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """`buurt-server ARGS` on `database_url`, as an operator runs it; never a traceback."""
    done = subprocess.run(
        [str(BIN / "buurt-server"), *args],
        env={**os.environ, "BUURT_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def tracebacks_in(log: Path) -> str | None:
    """The part of a server log from its first traceback on, or None."""
    if not log.exists():
        return None
    text = log.read_text(errors="replace")
    found = [text.index(mark) for mark in TRACEBACK_MARKS if mark in text]
    return text[min(found) : min(found) + 3000] if found else None


def wait_ready(url: str, seconds: float = 30, stream: str | None = None) -> None:
    """Wait until the server at `url` answers /readyz with 200 (and, given `stream`, with
    that stream mode, e.g. "listening" once it LISTENs on PostgreSQL)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            ready = httpx.get(f"{url}/readyz", timeout=1)
            if ready.status_code == 200 and stream in (None, ready.json()["stream"]):
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server at {url} did not start")
        time.sleep(0.1)


def start_server(
    env: dict[str, str],
    port: int,
    log: Path,
    log_level: str = "warning",
    *options: str,
    stream: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start `buurt-server serve` with `options` (its output appended to `log`) and wait
    until it is ready (see `wait_ready` for `stream`)."""
    STARTED_LOGS.append(log)
    process = subprocess.Popen(
        [str(BIN / "buurt-server"), "serve", "--port", str(port), "--log-level", log_level,
         *options],
        env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    wait_ready(f"http://127.0.0.1:{port}", stream=stream)
    return process
