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


# -- serve's options: worker processes, event loop, HTTP parser -------------------------------

POSTGRES_URL = "postgresql+asyncpg://buurt@db.example/buurt"


@pytest.mark.parametrize(
    ("host", "url", "expected"),
    [
        ("127.0.0.1", POSTGRES_URL, 1),
        ("::1", POSTGRES_URL, 1),
        ("localhost", POSTGRES_URL, 1),
        ("0.0.0.0", "sqlite+aiosqlite:///buurt.db", 1),
        ("0.0.0.0", POSTGRES_URL, len(os.sched_getaffinity(0))),
        ("10.0.0.5", POSTGRES_URL, len(os.sched_getaffinity(0))),
    ],
)
def test_workers_default_to_one_per_core_only_for_a_server_on_postgresql(
    host: str, url: str, expected: int
) -> None:
    from server.cli import default_workers

    assert default_workers(host, url) == expected


@pytest.mark.parametrize(
    ("options", "expected"),
    [((), len(os.sched_getaffinity(0))), (("--workers", "3"), 3)],
)
def test_serve_runs_uvicorn_with_its_fast_loop_and_parser(
    monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...], expected: int
) -> None:
    """What `serve` gives uvicorn: the workers (given, or the default for a server reached
    from outside on PostgreSQL), and the event loop and HTTP parser uvicorn chooses, which
    are uvloop and httptools with the server extra installed."""
    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from server import cli

    given: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: given.update(options))
    monkeypatch.setenv("BUURT_DATABASE_URL", POSTGRES_URL)
    code = cli.main(["serve", "--host", "0.0.0.0", "--allow-demo-accounts", *options])
    assert code == 0
    assert given["workers"] == expected
    config = uvicorn.Config(app=lambda scope, receive, send: None, **{
        key: given[key] for key in ("loop", "http")
    })  # fmt: skip
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    loop_factory = config.get_loop_factory()
    assert loop_factory is not None
    loop = loop_factory()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()


def test_serve_hands_its_settings_to_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The options that override settings reach every worker process through the
    environment, as pydantic-settings reads it there; a bad one stops before serving."""
    import uvicorn

    from server import cli
    from server.settings import Settings

    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    for name in ("DATABASE_URL", "FORWARDED_ALLOW_IPS", "PROXY_HEADERS", "LOG_FORMAT"):
        monkeypatch.delenv(f"BUURT_{name}", raising=False)
    monkeypatch.setenv("BUURT_LOG_FORMAT", "json")
    url = "sqlite+aiosqlite:///elsewhere.db"
    code = cli.main(["--database-url", url, "serve", "--forwarded-allow-ips", "10.0.0.0/8",
                     "--no-proxy-headers", "--workers", "2"])  # fmt: skip
    assert code == 0
    worker = Settings()  # what create_app reads in a worker
    assert (worker.database_url, worker.forwarded_allow_ips) == (url, "10.0.0.0/8")
    assert worker.proxy_headers is False and worker.log_format == "json"
    monkeypatch.setenv("BUURT_LOG_FORMAT", "yaml")
    assert cli.main(["serve"]) == 2
