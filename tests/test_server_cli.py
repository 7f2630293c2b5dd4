"""`buurt-server migrate && seed --demo && serve` serves the API, as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.pgserver import free_port
from tests.processes import start_server

BIN = Path(sys.executable).parent


def run(args: list[str], env: dict[str, str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "buurt-server"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.slow
def test_migrate_seed_serve(tmp_path: Path) -> None:
    env = {**os.environ, "BUURT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    assert run(["migrate"], env).returncode == 0
    first = run(["seed", "--demo"], env)
    assert first.returncode == 0 and "seeded" in first.stderr
    second = run(["seed", "--demo"], env)
    assert second.returncode == 0 and "nothing changed" in second.stderr
    assert run(["seed"], env).returncode == 2

    created = run(
        [
            "create-user",
            "--email",
            "new@mechelen.demo",
            "--name",
            "New Person",
            "--organisation",
            "mechelen",
            "--roles",
            "communicator",
        ],
        {**env, "BUURT_NEW_PASSWORD": "long-enough-password"},
    )
    assert created.returncode == 0, created.stderr
    duplicate = run(
        ["create-user", "--email", "new@mechelen.demo", "--name", "X", "--organisation",
         "mechelen", "--roles", "communicator"],
        {**env, "BUURT_NEW_PASSWORD": "long-enough-password"},
    )  # fmt: skip
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    assert "Traceback" not in duplicate.stderr
    token = run(
        ["create-token", "--email", "new@mechelen.demo", "--name", "cron", "--scopes",
         "messages:write"],
        env,
    )  # fmt: skip
    assert token.returncode == 0, token.stderr
    secret = token.stdout.strip()
    assert secret.startswith("bpt_") and secret not in token.stderr
    too_much = run(
        ["create-token", "--email", "new@mechelen.demo", "--name", "x", "--scopes",
         "events:write"],
        env,
    )  # fmt: skip
    assert too_much.returncode == 1 and "events:write" in too_much.stderr

    port = free_port()
    log = tmp_path / "server.log"
    server = start_server(env, port, log)
    try:
        base = f"http://127.0.0.1:{port}"
        login = httpx.post(
            f"{base}/v1/auth/token",
            json={"email": "new@mechelen.demo", "password": "long-enough-password"},
        )
        assert login.status_code == 200
        me = httpx.get(f"{base}/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert me.status_code == 200 and me.json()["token_scopes"] == ["messages:write"]
    finally:
        server.terminate()
        server.wait(timeout=20)
    output = log.read_text()
    # Neither the password nor the token ever reaches the log.
    assert "long-enough-password" not in output and secret not in output
