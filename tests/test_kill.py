"""kill -9 the server while a script publishes with retries, start it again: exactly one
message, because every retry carries the same Idempotency-Key."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

from tests.conftest import DEMO_PASSWORD
from tests.pgserver import free_port

BIN = Path(sys.executable).parent


def start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(BIN / "buurt-server"), "serve", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def test_kill_9_during_publishing_gives_one_message(sqlite_template: Path, tmp_path: Path) -> None:
    database = tmp_path / "kill.db"
    shutil.copy(sqlite_template, database)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "BUURT_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    server = start(env, port, tmp_path / "server.log")
    access = httpx.post(
        f"{url}/v1/auth/token", json={"email": "officer@mechelen.demo", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    token = httpx.post(
        f"{url}/v1/tokens", headers={"Authorization": f"Bearer {access}"},
        json={"name": "cron", "scopes": ["messages:write"]},
    ).json()["token"]  # fmt: skip
    title = f"Wegenwerken {uuid.uuid4().hex[:6]}"
    script_env = {
        **env, "BUURT_URL": url, "BUURT_TOKEN": token,
        "BUURT_CONFIG_DIR": str(tmp_path / "cfg"), "BUURT_DATA_DIR": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }  # fmt: skip
    outcomes: list[int] = []

    def script() -> None:
        # A cron script: retry until it is sure (exit 0), the same command each time.
        for _ in range(40):
            done = subprocess.run(
                [str(BIN / "buurt"), "broadcast", "--title", title, "--body", "Vanaf maandag dicht.", "--to", "Battel"],
                env=script_env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            outcomes.append(done.returncode)
            if done.returncode == 0:
                return
            time.sleep(0.2)

    runner = threading.Thread(target=script)
    runner.start()
    # Kill the server hard while the script is trying, twice, then let it come back.
    for _ in range(2):
        time.sleep(0.4)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        time.sleep(0.5)
        server = start(env, port, tmp_path / "server.log")
    runner.join(timeout=120)
    try:
        assert outcomes and outcomes[-1] == 0, outcomes
        listed = httpx.get(
            f"{url}/v1/messages", headers={"Authorization": f"Bearer {token}"}, params={"q": title}
        ).json()["items"]
        assert len(listed) == 1 and listed[0]["state"] == "published"
    finally:
        server.terminate()
        server.wait(timeout=15)
