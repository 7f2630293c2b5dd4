"""Real `buurt-server serve` processes on 127.0.0.1 for the fault, scale and log tests."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


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
    process = subprocess.Popen(
        [str(BIN / "buurt-server"), "serve", "--port", str(port), "--log-level", log_level,
         *options],
        env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    wait_ready(f"http://127.0.0.1:{port}", stream=stream)
    return process
