"""Real `buurt-server serve` processes on 127.0.0.1 for the fault, scale and log tests."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def wait_ready(url: str, seconds: float = 30) -> None:
    """Wait until the server at `url` answers /readyz with 200."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server at {url} did not start")
        time.sleep(0.1)


def start_server(
    env: dict[str, str], port: int, log: Path, log_level: str = "warning"
) -> subprocess.Popen[bytes]:
    """Start a server (its output appended to `log`) and wait until it is ready."""
    process = subprocess.Popen(
        [str(BIN / "buurt-server"), "serve", "--port", str(port), "--log-level", log_level],
        env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    wait_ready(f"http://127.0.0.1:{port}")
    return process
