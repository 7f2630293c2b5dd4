"""kill -9 the server while a script publishes with retries, start it again: exactly one
message, because every retry carries the same Idempotency-Key. Once with one server on
SQLite, once with two instances on PostgreSQL, the script trying them in turn as a load
balancer would."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import DEMO_PASSWORD
from tests.pgserver import PostgresServer, free_port
from tests.processes import BIN, start_server


def cron_token(url: str) -> str:
    access = httpx.post(
        f"{url}/v1/auth/token", json={"email": "officer@mechelen.demo", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    return str(httpx.post(
        f"{url}/v1/tokens", headers={"Authorization": f"Bearer {access}"},
        json={"name": "cron", "scopes": ["messages:write"]},
    ).json()["token"])  # fmt: skip


def publish_with_retries(
    urls: list[str], token: str, title: str, tmp_path: Path
) -> tuple[threading.Thread, list[int]]:
    """Start a cron script that retries until it is sure (exit 0), the same command each
    time, on the next instance after a failure; answers its exit codes as they come."""
    script_env = {
        **os.environ, "BUURT_TOKEN": token,
        "BUURT_CONFIG_DIR": str(tmp_path / "cfg"), "BUURT_DATA_DIR": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }  # fmt: skip
    outcomes: list[int] = []

    def script() -> None:
        for attempt in range(40):
            done = subprocess.run(
                [str(BIN / "buurt"), "broadcast", "--title", title, "--body", "Vanaf maandag dicht.", "--to", "Battel"],
                env={**script_env, "BUURT_URL": urls[attempt % len(urls)]},
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            outcomes.append(done.returncode)
            if done.returncode == 0:
                return
            time.sleep(0.2)

    runner = threading.Thread(target=script)
    runner.start()
    return runner, outcomes


def published_once(url: str, token: str, title: str) -> None:
    listed = httpx.get(
        f"{url}/v1/messages", headers={"Authorization": f"Bearer {token}"}, params={"q": title}
    ).json()["items"]
    assert len(listed) == 1 and listed[0]["state"] == "published"


def kill_twice(
    server: subprocess.Popen[bytes], restart: Callable[[], subprocess.Popen[bytes]]
) -> subprocess.Popen[bytes]:
    # Kill the server hard while the script is trying, twice, then let it come back.
    for _ in range(2):
        time.sleep(0.4)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        time.sleep(0.5)
        server = restart()
    return server


@pytest.mark.slow
def test_kill_9_during_publishing_gives_one_message(sqlite_template: Path, tmp_path: Path) -> None:
    database = tmp_path / "kill.db"
    shutil.copy(sqlite_template, database)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "BUURT_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    server = start_server(env, port, tmp_path / "server.log")
    token = cron_token(url)
    title = f"Wegenwerken {uuid.uuid4().hex[:6]}"
    runner, outcomes = publish_with_retries([url], token, title, tmp_path)
    server = kill_twice(server, lambda: start_server(env, port, tmp_path / "server.log"))
    runner.join(timeout=120)
    try:
        assert outcomes and outcomes[-1] == 0, outcomes
        published_once(url, token, title)
    finally:
        server.terminate()
        server.wait(timeout=15)


@pytest.mark.slow
def test_kill_9_one_of_two_instances_on_postgresql_gives_one_message(
    postgres: PostgresServer, postgres_template: str, tmp_path: Path
) -> None:
    name = f"kill{uuid.uuid4().hex[:8]}"
    postgres.psql(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    env = {**os.environ, "BUURT_DATABASE_URL": postgres.url(name)}
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    servers = [start_server(env, port, tmp_path / f"server{i}.log") for i, port in enumerate(ports)]
    token = cron_token(urls[1])
    title = f"Wegenwerken {uuid.uuid4().hex[:6]}"
    runner, outcomes = publish_with_retries(urls, token, title, tmp_path)
    servers[0] = kill_twice(
        servers[0], lambda: start_server(env, ports[0], tmp_path / "server0.log")
    )
    runner.join(timeout=120)
    try:
        assert outcomes and outcomes[-1] == 0, outcomes
        for url in urls:
            published_once(url, token, title)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=15)


@pytest.mark.slow
def test_stopping_ends_open_streams_at_once(sqlite_template: Path, tmp_path: Path) -> None:
    """Quitting the demo while a console is connected: the server stops in a moment, not
    after its graceful timeout (5 s), and no cancelled stream is left in its log."""
    database = tmp_path / "stop.db"
    shutil.copy(sqlite_template, database)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "BUURT_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    log = tmp_path / "server.log"
    server = start_server(env, port, log, "info")
    access = httpx.post(
        f"{url}/v1/auth/token", json={"email": "officer@mechelen.demo", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    opened = threading.Event()
    ended: list[float] = []

    def listen() -> None:
        headers = {"Authorization": f"Bearer {access}"}
        with httpx.stream("GET", f"{url}/v1/stream", headers=headers, timeout=30) as response:
            assert response.status_code == 200
            opened.set()
            for _line in response.iter_lines():
                pass
        ended.append(time.monotonic())

    streams = [threading.Thread(target=listen, daemon=True) for _ in range(3)]
    for stream in streams:
        stream.start()
    assert opened.wait(10)
    time.sleep(0.5)
    began = time.monotonic()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=15)
    took = time.monotonic() - began
    for stream in streams:
        stream.join(timeout=5)
    assert took < 2.5, f"stopping took {took:.1f} s"
    assert len(ended) == 3 and all(t - began < 2.5 for t in ended)
    text = log.read_text()
    assert "CancelledError" not in text and "graceful shutdown exceeded" not in text, text
